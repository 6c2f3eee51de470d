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

/** Fields that hold an HTTP client's request or reply (axios under the Feishu SDK, the Slack WebClient's
 * `original`): they carry the Authorization header and cookies, so an error in the log never includes them. */
const DROPPED_ERROR_FIELDS = new Set(['config', 'request', 'response', 'headers', 'original', 'req', 'res', 'socket', 'agent']);
const SECRET_FIELD = /token|secret|password|passwd|authorization|cookie|api_?key|encrypt_?key|signature/i;

function scrub(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return depth > 3 ? '[…]' : value.slice(0, 20).map((v) => scrub(v, depth + 1));
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (value instanceof Error) return serializeError(value, depth + 1);
  if (depth > 3) return '[…]';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED_ERROR_FIELDS.has(k)) continue;
    out[k] = SECRET_FIELD.test(k) ? '[redacted]' : scrub(v, depth + 1);
  }
  return out;
}

/**
 * `log.warn({ err }, ...)` writes the error's type, message, stack, own fields (code, details, an HTTP
 * status) and its cause chain, minus anything that can hold a credential (see above).
 */
function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.constructor?.name ?? err.name, message: err.message, stack: err.stack };
  if (depth > 5) return out;
  for (const [k, v] of Object.entries(err)) {
    if (k in out || k === 'cause' || DROPPED_ERROR_FIELDS.has(k)) continue;
    out[k] = SECRET_FIELD.test(k) ? '[redacted]' : scrub(v, 1);
  }
  const status = (err as { response?: { status?: unknown } }).response?.status;
  if (typeof status === 'number' && out.status === undefined) out.status = status;
  if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  logBodies?: boolean;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const paths = options.logBodies ? REDACT_PATHS : [...REDACT_PATHS, ...BODY_PATHS];
  const base = { level: options.level ?? 'info', redact: { paths, censor: '[redacted]' }, serializers: { err: serializeError }, base: { app: 'understudy' } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2, ignore: 'pid,hostname,app' } } });
  }
  return pino(base, pino.destination(2));
}

/** A logger that drops everything: the default for library calls and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
