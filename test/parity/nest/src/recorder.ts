import { describe, type Described } from './describe.js';

/** One observation: what was seen (`at`), and a description of the value seen. */
export interface Entry {
  at: string;
  v?: Described;
}

/**
 * What one side saw, in the order it saw it. A server's recorder is injected
 * into every controller and enhancer of that server (`@Inject(Recorder)`).
 */
export class Recorder {
  private entries: Entry[] = [];

  add(at: string, value?: unknown): void {
    this.entries.push(arguments.length > 1 ? { at, v: describe(value) } : { at });
  }

  get size(): number {
    return this.entries.length;
  }

  peek(): readonly Entry[] {
    return this.entries;
  }

  take(): Entry[] {
    const entries = this.entries;
    this.entries = [];
    return entries;
  }
}
