/**
 * Durations in the configuration: "500ms", "5s", "2m", "1h" (a decimal is fine: "1.5s"), or a
 * bare number of milliseconds. Returned as whole milliseconds.
 */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/** Milliseconds, or undefined when `value` is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'bigint') ms = Number(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    const m = DURATION.exec(text);
    if (m) ms = Number(m[1]) * UNITS[m[2]];
    else if (/^\d+$/.test(text)) ms = Number(text);
  }
  // Rounding absorbs binary noise such as 1.1s = 1100.0000000000002 ms.
  if (ms !== undefined) ms = Math.round(ms * 1e6) / 1e6;
  return ms !== undefined && Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

/** The shortest exact spelling: 1500 -> "1500ms", 30000 -> "30s", 120000 -> "2m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
