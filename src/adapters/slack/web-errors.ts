import type { Logger } from 'pino';
import { UnderstudyError } from '../../errors';

/** Scopes a Slack error tells us to add, when it says. */
const SCOPE_HINTS: Record<string, string> = {
  not_in_channel: 'invite the bot to the channel (/invite @bot), or add channels:join',
  channel_not_found: 'the bot cannot see this conversation: add channels:read / groups:read / im:read, or invite it',
};

interface SlackApiError {
  code?: string;
  data?: { error?: string; needed?: string; provided?: string };
  message?: string;
}

/** Turn a WebClient error into a stable code, with the scope to add in the message. */
export function classifySlackError(err: unknown, method: string, log?: Logger): UnderstudyError {
  const e = err as SlackApiError;
  const code = e.data?.error;
  if (code === 'missing_scope') {
    const msg = `Slack ${method} failed: missing_scope; add the bot scope ${e.data?.needed ?? '(see the Slack response)'} to the app and reinstall it`;
    log?.error({ method, needed: e.data?.needed, provided: e.data?.provided }, msg);
    return new UnderstudyError('PLATFORM_SCOPE', msg, { cause: err, details: { needed: e.data?.needed } });
  }
  if (code === 'not_in_channel' || code === 'channel_not_found') {
    const msg = `Slack ${method} failed: ${code}; ${SCOPE_HINTS[code]}`;
    log?.warn({ method, error: code }, msg);
    return new UnderstudyError('PLATFORM_NOT_IN_CHANNEL', msg, { cause: err, details: { error: code } });
  }
  if (code === 'invalid_auth' || code === 'not_authed' || code === 'account_inactive' || code === 'token_revoked') {
    return new UnderstudyError('PLATFORM_AUTH', `Slack ${method} failed: ${code}`, { cause: err });
  }
  if (e.code === 'slack_webapi_rate_limited_error') return new UnderstudyError('RATE_LIMITED', `Slack ${method} rate limited`, { cause: err });
  return new UnderstudyError('PLATFORM_TRANSIENT', `Slack ${method} failed: ${code ?? e.message ?? String(err)}`, { cause: err });
}

const MAX_WAIT_S = 30;
const TOTAL_WAIT_S = 60;

/** One Web API call; a 429 waits its Retry-After (at most 30 s, 60 s in all), then retries. */
export async function slackCall<T>(method: string, fn: () => Promise<T>, log?: Logger): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const e = err as { code?: string; retryAfter?: number };
      const retryAfter = e.code === 'slack_webapi_rate_limited_error' ? (e.retryAfter ?? 1) : undefined;
      if (retryAfter !== undefined && retryAfter <= MAX_WAIT_S && waited + retryAfter <= TOTAL_WAIT_S) {
        log?.warn({ method, retry_after_s: retryAfter }, 'Slack rate limit: waiting before retrying');
        await new Promise((r) => setTimeout(r, retryAfter * 1000));
        waited += retryAfter;
        continue;
      }
      throw classifySlackError(err, method, log);
    }
  }
}
