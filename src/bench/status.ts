/**
 * The live status line of `strait bench`: which system, which size, how far and how fast, since a
 * person waits minutes for the whole run. On a terminal it is redrawn in place every update; in a
 * pipe or a CI log one line is printed every `throttleMs` at most, so the log stays readable.
 */
import { StatusLine } from '../demo/status.js';

export class BenchStatus {
  private readonly line: StatusLine;
  private lastPrinted = 0;

  constructor(
    stream: NodeJS.WriteStream,
    private readonly throttleMs = 10_000,
  ) {
    this.line = new StatusLine(stream);
  }

  show(text: string): void {
    if (!this.line.inPlace) {
      const now = Date.now();
      if (now - this.lastPrinted < this.throttleMs) return;
      this.lastPrinted = now;
    }
    this.line.show(text);
  }

  /** Ends the line in place, so the next permanent line starts on its own. */
  done(): void {
    this.line.done();
    this.lastPrinted = 0;
  }
}
