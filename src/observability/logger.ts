import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (pino). `HYDRANT_LOG_LEVEL` overrides the level. */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({ name: opts.name ?? 'hydrant', level: opts.level ?? process.env.HYDRANT_LOG_LEVEL ?? 'info' });
}
