/**
 * Structured JSON logging, one object per line. Callers pass only metadata: never plaintext,
 * ciphertext, key material, PINs or credentials.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

export class Logger {
  private readonly minimum: number;

  constructor(level: string | undefined, private readonly sink: LogSink = (line) => process.stdout.write(line)) {
    this.minimum = RANK[(level as LogLevel) in RANK ? (level as LogLevel) : 'info'];
  }

  public log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < this.minimum) return;
    this.sink(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }

  public info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }

  public warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }

  public error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}
