import { pino, type Logger } from 'pino'

export type { Logger }

/** JSON logs to stdout (journald picks them up); passwords and tokens never leave the box. */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LINEWATCH_LOG_LEVEL ?? 'info',
      base: { app: 'linewatch' },
      redact: {
        paths: ['password', '*.password', '*.*.password', 'token', '*.token', '*.*.token', 'simPin', '*.simPin', 'url'],
        censor: (value: unknown, path: string[]) => (path.at(-1) === 'url' ? redactUrl(value) : '[redacted]'),
      },
    },
    opts.destination ?? process.stdout,
  )
}

/** Logger that drops everything: for tests and the bench. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/** Strip a password from a URL such as mqtt://user:secret@host. */
export function redactUrl(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    const u = new URL(value)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return value
  }
}
