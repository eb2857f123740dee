/**
 * produceRecords in a worker thread, so that a test's own event loop stays free while records
 * are written: a test that times another process (how long strait takes to exit) must not see
 * its own measurement held up by a producer running on the same thread.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { produceRecords } from './records.js';

interface ProduceJob {
  bootstrap: string;
  topic: string;
  partitions: number;
  from: number;
  count: number;
  tag: string;
}

export function produceRecordsInWorker(bootstrap: string, topic: string, partitions: number, from: number, count: number, tag: string): Promise<void> {
  const job: ProduceJob = { bootstrap, topic, partitions, from, count, tag };
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { error?: string }) => (m.error === undefined ? resolve() : reject(new Error(m.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the producer thread exited with code ${code} before it finished`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const job = workerData as ProduceJob;
  produceRecords(job.bootstrap, job.topic, job.partitions, job.from, job.count, job.tag).then(
    () => port.postMessage({}),
    (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
}
