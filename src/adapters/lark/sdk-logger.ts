import type { Logger } from 'pino';

type SdkLog = (...msg: unknown[]) => void;

/** One line from whatever the SDK logs. Objects are never dumped: an axios error carries the bearer token. */
function text(args: unknown[]): string {
  return args
    .flat()
    .map((a) => {
      if (typeof a === 'string') return a;
      if (a instanceof Error) {
        const status = (a as { response?: { status?: number } }).response?.status;
        return status ? `${a.message} (HTTP ${status})` : a.message;
      }
      if (typeof a === 'number' || typeof a === 'boolean') return String(a);
      return '';
    })
    .filter(Boolean)
    .join(' ')
    .slice(0, 500);
}

function isHttpError(args: unknown[]): boolean {
  return args.flat().some((a) => a instanceof Error && (a as { isAxiosError?: boolean }).isAxiosError === true);
}

/**
 * The SDK's logger interface over a pino child. Its readiness chatter goes to debug; its own
 * report of a failed HTTP call too, because the caller classifies and logs that failure.
 */
export function sdkLogger(log: Logger): { error: SdkLog; warn: SdkLog; info: SdkLog; debug: SdkLog; trace: SdkLog } {
  const child = log.child({ source: 'lark-sdk' });
  return {
    error: (...args) => (isHttpError(args) ? child.debug(text(args)) : child.error(text(args))),
    warn: (...args) => child.warn(text(args)),
    info: (...args) => child.debug(text(args)),
    debug: (...args) => child.debug(text(args)),
    trace: (...args) => child.trace(text(args)),
  };
}
