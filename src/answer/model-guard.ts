import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { UnderstudyError } from '../errors';
import { metrics } from '../jobs/metrics';
import { silentLogger } from '../log';
import { CircuitBreaker, type BreakerState } from './breaker';

/** Why a guarded model call did not produce text; kept in `UnderstudyError.details.reason`. */
export type ModelFailureReason = 'timeout' | 'circuit_open' | 'shutdown' | 'auth' | 'not_found' | 'unreachable' | 'error';

export interface ModelGuardOptions {
  /** Everything one answer may spend on the model (ANSWER_TIMEOUT_MS). */
  answerBudgetMs?: number;
  breakerFailures?: number;
  breakerCooldownMs?: number;
  log?: Logger;
  now?: () => number;
}

export interface ModelHealth {
  /** `degraded` while the breaker keeps answers offline. */
  state: 'ok' | 'degraded';
  breaker: BreakerState;
  consecutive_failures: number;
  last_error?: string;
  retry_at?: string;
}

export const DEFAULT_ANSWER_BUDGET_MS = 25_000;

/** A deadline shared by every model call of one answer (condense step and the answer itself). */
interface Scope {
  deadline: number;
}
const scopes = new AsyncLocalStorage<Scope>();

/** Run `work` with one model budget: every guarded call inside gets only what is left of it. */
export function withModelBudget<T>(budgetMs: number, work: () => Promise<T>): Promise<T> {
  const outer = scopes.getStore();
  const deadline = Math.min(Date.now() + budgetMs, outer?.deadline ?? Infinity);
  return scopes.run({ deadline }, work);
}

/**
 * The breaker, the time budget and the shutdown switch around one model. Every call goes
 * through `call`: refused at once while the breaker is open, aborted when its budget runs out
 * or the process stops, and each failure logged once with its cause.
 */
export class ModelGuard {
  readonly answerBudgetMs: number;
  private readonly breaker: CircuitBreaker;
  private readonly now: () => number;
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  private log: Logger;

  constructor(options: ModelGuardOptions = {}) {
    this.log = options.log ?? silentLogger;
    this.answerBudgetMs = options.answerBudgetMs ?? DEFAULT_ANSWER_BUDGET_MS;
    this.now = options.now ?? Date.now;
    this.breaker = new CircuitBreaker(options.breakerFailures ?? 3, options.breakerCooldownMs ?? 60_000, this.now);
  }

  /**
   * Run one model call. `budgetMs` caps this call; an enclosing withModelBudget() caps it
   * further. Failures come back as MODEL_FAILED with `details.reason`.
   */
  async call<T>(work: (signal: AbortSignal) => Promise<T>, budgetMs?: number): Promise<T> {
    if (this.closed) throw failure('shutdown', 'the process is shutting down');
    if (!this.breaker.admit()) {
      const snap = this.breaker.snapshot();
      this.log.debug({ retry_at: snap.retryAt && new Date(snap.retryAt).toISOString() }, 'model circuit breaker open; answering offline');
      throw failure('circuit_open', `the language model failed ${snap.consecutiveFailures} times in a row; answering offline until ${new Date(snap.retryAt ?? 0).toISOString()}`);
    }
    const started = this.now();
    const deadline = Math.min(budgetMs === undefined ? Infinity : Date.now() + budgetMs, scopes.getStore()?.deadline ?? Infinity);
    if (deadline <= Date.now()) {
      // An earlier call of the same answer (the follow-up rewrite) used up the budget; the endpoint is not to blame.
      this.breaker.release();
      this.log.debug('no time left in the answer budget; answering from the sources');
      throw failure('timeout', 'no time left in the answer budget');
    }
    const ctrl = new AbortController();
    this.inflight.add(ctrl);
    const timer = Number.isFinite(deadline) ? setTimeout(() => ctrl.abort(new TimeoutSignal()), Math.max(0, deadline - Date.now())) : undefined;
    try {
      const result = await untilAborted(work(ctrl.signal), ctrl.signal);
      if (this.breaker.success()) this.log.info('language model answering again; circuit breaker closed');
      return result;
    } catch (err) {
      const elapsed = this.now() - started;
      if (ctrl.signal.reason instanceof ShutdownSignal) {
        this.breaker.release();
        throw failure('shutdown', 'the model call was abandoned at shutdown', err);
      }
      const timedOut = ctrl.signal.reason instanceof TimeoutSignal;
      const reason: ModelFailureReason = timedOut ? 'timeout' : reasonOf(err);
      const opened = this.breaker.failure(reason);
      metrics.modelErrors.inc({ reason });
      const fields = { err: timedOut ? undefined : err, reason, elapsed_ms: elapsed, consecutive_failures: this.breaker.snapshot().consecutiveFailures };
      const hint = HINTS[reason];
      if (reason === 'auth' || reason === 'not_found' || reason === 'unreachable') this.log.error(fields, `language model call failed: ${hint}; answering from the sources`);
      else this.log.warn(fields, `language model call failed: ${hint}; answering from the sources`);
      if (opened) {
        this.log.error({ reason, cooldown_ms: this.breaker.snapshot().retryAt! - this.now() }, 'model circuit breaker opened: answers are offline until the cool-down ends');
      }
      throw failure(reason, timedOut ? `the language model did not finish within ${elapsed} ms` : `the language model call failed (${hint}): ${(err as Error)?.message ?? String(err)}`, err);
    } finally {
      if (timer) clearTimeout(timer);
      this.inflight.delete(ctrl);
    }
  }

  /** Refuse new calls and abort those in flight; returns how many were aborted. */
  close(): number {
    this.closed = true;
    const n = this.inflight.size;
    for (const c of this.inflight) c.abort(new ShutdownSignal());
    return n;
  }

  /** How many calls are waiting on the model right now. */
  inFlight(): number {
    return this.inflight.size;
  }

  health(): ModelHealth {
    const s = this.breaker.snapshot();
    return {
      state: s.state === 'closed' ? 'ok' : 'degraded',
      breaker: s.state,
      consecutive_failures: s.consecutiveFailures,
      last_error: s.lastError,
      retry_at: s.retryAt === undefined ? undefined : new Date(s.retryAt).toISOString(),
    };
  }

  useLogger(log: Logger): void {
    this.log = log;
  }
}

class TimeoutSignal extends Error {
  constructor() {
    super('answer budget exhausted');
  }
}
class ShutdownSignal extends Error {
  constructor() {
    super('shutting down');
  }
}

const HINTS: Record<ModelFailureReason, string> = {
  timeout: 'the answer budget ran out (ANSWER_TIMEOUT_MS)',
  circuit_open: 'the circuit breaker is open',
  shutdown: 'shutting down',
  auth: 'the endpoint rejected the API key (check OPENAI_API_KEY)',
  not_found: 'the endpoint does not know this model or path (check OPENAI_MODEL and OPENAI_BASE_URL)',
  unreachable: 'the endpoint cannot be reached (check OPENAI_BASE_URL)',
  error: 'the endpoint returned an error',
};

function failure(reason: ModelFailureReason, message: string, cause?: unknown): UnderstudyError {
  return new UnderstudyError('MODEL_FAILED', message, { cause, details: { reason } });
}

/** Sort a model client error by what an operator should fix. */
function reasonOf(err: unknown): ModelFailureReason {
  const e = err as { status?: unknown; code?: unknown; cause?: { code?: unknown }; response?: { status?: unknown } } | undefined;
  const status = Number(e?.status ?? e?.response?.status);
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  const code = String(e?.cause?.code ?? e?.code ?? '');
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH'].includes(code)) return 'unreachable';
  if (/connection error/i.test(String((err as Error)?.message ?? ''))) return 'unreachable';
  return 'error';
}

/** Settle with `work`, or reject as soon as `signal` aborts even if `work` ignores the signal. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const guards = new WeakMap<object, ModelGuard>();

export function attachGuard<M extends object>(model: M, guard: ModelGuard): M {
  guards.set(model, guard);
  return model;
}

/** The guard of a model made by createChatModel; undefined for others (test doubles). */
export function guardOf(model: object | undefined): ModelGuard | undefined {
  return model ? guards.get(model) : undefined;
}
