/**
 * Status lines for a person waiting on something slow (a jar download, a broker start).
 * On a terminal, `update` rewrites one line in place; elsewhere (CI logs, pipes) updates are
 * throttled so a log is not flooded, and `info` lines are always printed.
 */

export interface Progress {
  /** A transient status that the next update or info replaces. */
  update(line: string): void;
  /** A line that stays. */
  info(line: string): void;
}

export const silentProgress: Progress = { update() {}, info() {} };

export function streamProgress(stream: NodeJS.WriteStream = process.stderr, throttleMs = 15_000): Progress {
  const tty = stream.isTTY === true;
  let shown = false;
  let lastPrinted = 0;
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(line) {
      if (tty) {
        const width = stream.columns > 1 ? stream.columns - 1 : 100;
        stream.write(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        shown = true;
        return;
      }
      const now = Date.now();
      if (now - lastPrinted < throttleMs) return;
      lastPrinted = now;
      stream.write(`${line}\n`);
    },
    info(line) {
      clear();
      lastPrinted = Date.now();
      stream.write(`${line}\n`);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
