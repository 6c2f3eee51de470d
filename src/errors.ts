/**
 * Stable error codes. Users get a sentence, logs get the code.
 * `retryable` marks the codes a caller may retry with backoff.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { exit: 1, retryable: false },
  AVATAR_NOT_FOUND: { exit: 1, retryable: false },
  AVATAR_INVALID: { exit: 1, retryable: false },
  AVATAR_UNAVAILABLE: { exit: 1, retryable: false },
  INPUT_INVALID: { exit: 1, retryable: false },
  FILE_UNREADABLE: { exit: 1, retryable: false },
  PARSE_FAILED: { exit: 1, retryable: false },
  INDEX_MISSING: { exit: 1, retryable: false },
  INDEX_MISMATCH: { exit: 1, retryable: false },
  INDEX_CORRUPT: { exit: 1, retryable: false },
  STATE_CORRUPT: { exit: 1, retryable: false },
  ACCESS_DENIED: { exit: 1, retryable: false },
  CONSENT_REQUIRED: { exit: 1, retryable: false },
  RATE_LIMITED: { exit: 1, retryable: true },
  PLATFORM_AUTH: { exit: 1, retryable: false },
  PLATFORM_SCOPE: { exit: 1, retryable: false },
  PLATFORM_NOT_IN_CHANNEL: { exit: 1, retryable: false },
  PLATFORM_TRANSIENT: { exit: 2, retryable: true },
  MODEL_FAILED: { exit: 2, retryable: true },
  INTERNAL: { exit: 2, retryable: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class UnderstudyError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for logs (file, field, variable...). Never secrets. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UnderstudyError';
    this.code = code;
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** Sort any thrown value into an UnderstudyError so callers handle one shape. */
export function classifyError(err: unknown): UnderstudyError {
  if (err instanceof UnderstudyError) return err;
  const e = err as { code?: unknown; message?: unknown; status?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') {
    return new UnderstudyError('FILE_UNREADABLE', message, { cause: err });
  }
  if (e?.status === 429) return new UnderstudyError('RATE_LIMITED', message, { cause: err });
  return new UnderstudyError('INTERNAL', message, { cause: err });
}
