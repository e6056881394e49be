import type { LoggerService } from '@nestjs/common';

/** One error-level log line: the logger's context and the message as text. */
export interface LogLine {
  context: string;
  message: string;
}

/**
 * Keeps error-level lines (what a service's operators would be paged for) and
 * drops the rest. Installed once per process; the runner takes the lines of each run.
 */
export class CaptureLogger implements LoggerService {
  private lines: LogLine[] = [];

  error(message: unknown, ...params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : '';
    const text = message instanceof Error ? `${message.name}: ${message.message}` : String(message);
    this.lines.push({ context, message: text });
  }

  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  fatal(message: unknown, ...params: unknown[]): void {
    this.error(message, ...params);
  }

  take(): LogLine[] {
    const lines = this.lines;
    this.lines = [];
    return lines;
  }
}

export const captureLogger = new CaptureLogger();
