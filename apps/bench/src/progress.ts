/**
 * Where a run is. On a terminal: one status line, rewritten in place (at
 * most every 100 ms), with the share done and the time left. Otherwise (CI,
 * a pipe): one line per finished workload of a round, nothing in between.
 */
export interface Progress {
  /** Adds planned work, in milliseconds of traffic. */
  plan(ms: number): void;
  /** `ms` of the planned work is done; `where` says what runs now. */
  step(ms: number, where: string): void;
  /** A line to keep. */
  line(text: string): void;
  /** Clears the status line. */
  done(): void;
}

export function progressFor(stream: NodeJS.WriteStream): Progress {
  return stream.isTTY ? new StatusLine(stream) : new PlainLines(stream);
}

class PlainLines implements Progress {
  constructor(private readonly stream: NodeJS.WriteStream) {}
  plan(): void {}
  step(): void {}
  line(text: string): void {
    this.stream.write(`${text}\n`);
  }
  done(): void {}
}

class StatusLine implements Progress {
  private planned = 0;
  private doneMs = 0;
  private readonly started = Date.now();
  private shownAt = 0;
  private where = '';

  constructor(private readonly stream: NodeJS.WriteStream) {}

  plan(ms: number): void {
    this.planned += ms;
  }

  step(ms: number, where: string): void {
    this.doneMs += ms;
    this.where = where;
    const now = Date.now();
    if (now - this.shownAt < 100) return;
    this.shownAt = now;
    this.show();
  }

  line(text: string): void {
    this.stream.write(`\r\x1b[2K${text}\n`);
    this.show();
  }

  done(): void {
    this.stream.write('\r\x1b[2K');
  }

  private show(): void {
    const share = this.planned > 0 ? Math.min(1, this.doneMs / this.planned) : 0;
    const elapsed = (Date.now() - this.started) / 1e3;
    const left = share > 0.02 ? ` · ${clock((elapsed * (1 - share)) / share)} left` : '';
    const text = `${(share * 100).toFixed(0).padStart(3)}%${left} · ${this.where}`;
    this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns || 80) - 1))}`);
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
