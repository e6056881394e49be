import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** One line as a Nest logger would print it: level, context, and the message as text. */
export interface LoggedLine {
  level: LogLevel;
  context: string;
  message: string;
}

/**
 * Records every line of every level, for tests of what reaches the log
 * (install with `Logger.overrideLogger(lines)`).
 */
export class LogLines implements LoggerService {
  lines: LoggedLine[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.add('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.add('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.add('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.add('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.add('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.add('fatal', message, params);
  }

  /** Lines of `context` (and `level`, if given). */
  of(context: string, level?: LogLevel): LoggedLine[] {
    return this.lines.filter((line) => line.context === context && (level === undefined || line.level === level));
  }

  clear(): void {
    this.lines = [];
  }

  private add(level: LogLevel, message: unknown, params: unknown[]): void {
    const last = params[params.length - 1];
    const context = typeof last === 'string' ? last : '';
    const text = message instanceof Error ? `${message.name}: ${message.message}` : String(message);
    this.lines.push({ level, context, message: text });
  }
}
