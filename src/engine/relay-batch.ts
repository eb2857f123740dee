/**
 * Records a worker reads from its consumer at a time (one relay batch). The engine bounds each
 * producer's queue by `engine.maxInFlightRecordsPerWorker` plus one batch, and `strait plan`'s
 * memory bound counts the same: one constant, so the two cannot drift.
 */
export const RELAY_BATCH_RECORDS = 2_000;
