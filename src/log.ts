import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino masks wherever they appear. Tokens and secrets always; message bodies
 * (`text`, `question`) too, unless LOG_BODIES=1 is set for local debugging.
 */
export const REDACT_PATHS = [
  'token', '*.token', 'botToken', '*.botToken', 'appToken', '*.appToken', 'signingSecret', '*.signingSecret',
  'appSecret', '*.appSecret', 'encryptKey', '*.encryptKey', 'verificationToken', '*.verificationToken',
  'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'password', '*.password', 'secret', '*.secret', 'tenant_access_token', '*.tenant_access_token',
];
const BODY_PATHS = ['text', '*.text', 'question', '*.question', 'body', '*.body'];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  logBodies?: boolean;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const paths = options.logBodies ? REDACT_PATHS : [...REDACT_PATHS, ...BODY_PATHS];
  const base = { level: options.level ?? 'info', redact: { paths, censor: '[redacted]' }, base: { app: 'understudy' } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2, ignore: 'pid,hostname,app' } } });
  }
  return pino(base, pino.destination(2));
}

/** A logger that drops everything: the default for library calls and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
