import type { LoggerService } from '@nestjs/common';

/** One log line: its level, the logger's context and the message as text. */
export interface LogLine {
  level: LogLevel;
  context: string;
  message: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/**
 * Keeps every line at every level, as Nest's default logger would print it
 * (the message, or an error's name and message, and the context); the runner
 * takes the lines of each run. Installed once per process.
 */
export class CaptureLogger implements LoggerService {
  private lines: LogLine[] = [];

  fatal(message: unknown, ...params: unknown[]): void {
    this.add('fatal', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.add('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.add('warn', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.add('log', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.add('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.add('verbose', message, params);
  }

  take(): LogLine[] {
    const lines = this.lines;
    this.lines = [];
    return lines;
  }

  private add(level: LogLevel, message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : '';
    const text = message instanceof Error ? `${message.name}: ${message.message}` : String(message);
    this.lines.push({ level, context, message: text });
  }
}

export const captureLogger = new CaptureLogger();
