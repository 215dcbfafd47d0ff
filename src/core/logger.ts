/**
 * Structured logging (pino). One root logger per process; components take a child with
 * `logger.child({ component: 'hec' })`. Logs are JSON lines on stderr by default so that
 * stdout stays free for what a command prints for people and scripts (e.g. the first-run token).
 *
 * Attacker-controlled values may be logged: pino JSON-encodes every value, so a log line can
 * never be forged by a newline inside an event.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where to write; default stderr (fd 2). */
  destination?: DestinationStream | number;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = typeof opts.destination === 'number' || opts.destination === undefined ? pino.destination({ fd: opts.destination ?? 2, sync: false }) : opts.destination;
  return pino(
    {
      name: opts.name ?? 'garrison',
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials that reach a request logger.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
    },
    dest,
  );
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
