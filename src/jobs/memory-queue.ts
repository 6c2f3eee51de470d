import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { metrics } from './metrics';
import {
  backoffDelay,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_CONCURRENCY,
  PermanentJobError,
  RetryLater,
  type EnqueueOptions,
  type JobHandler,
  type JobHandlers,
  type JobInfo,
  type JobKind,
  type JobQueue,
  type JobWorker,
  type QueueCounts,
  type WorkerOptions,
} from './types';

interface Entry extends JobInfo {
  attempts: number;
  backoffMs: number;
  /** When the job became (or becomes) due; the wait metric runs from here. */
  dueAt: number;
  enqueuedAt: number;
  timer?: NodeJS.Timeout;
  waiters: (() => void)[];
}

interface LocalWorker {
  handlers: JobHandlers;
  onCompleted?: WorkerOptions['onCompleted'];
  onDead?: WorkerOptions['onDead'];
  concurrency: number;
  running: Set<Promise<void>>;
  closed: boolean;
}

/** Finished jobs kept for idempotency and lookups; the oldest go first. Dead letters are always kept. */
const KEEP_COMPLETED = 10_000;

/**
 * The embedded queue: jobs live in this process's memory and run in it, with the same retries,
 * backoff, dead letters and progress as the BullMQ one. Nothing survives a restart, which is
 * what the embedded mode has always done with background work.
 */
export class InProcessJobQueue implements JobQueue {
  readonly backend = 'in-process' as const;
  private readonly jobs = new Map<string, Entry>();
  private readonly ready: Entry[] = [];
  private readonly workers: LocalWorker[] = [];
  private readonly completedOrder: string[] = [];
  private closed = false;

  constructor(private readonly log: Logger = silentLogger) {}

  async enqueue<T>(kind: JobKind, data: T, options: EnqueueOptions = {}): Promise<{ id: string }> {
    if (this.closed) throw new Error('the job queue is closed');
    const id = options.id ?? randomUUID();
    if (this.jobs.has(id)) return { id };
    const entry: Entry = {
      id, kind, data, state: 'waiting', attemptsMade: 0, progress: 0,
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS), backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      dueAt: Date.now(), enqueuedAt: Date.now(), waiters: [],
    };
    this.jobs.set(id, entry);
    this.ready.push(entry);
    this.pump();
    return { id };
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const e = this.jobs.get(id);
    return e ? info(e) : undefined;
  }

  waitFor(id: string, timeoutMs: number): Promise<JobInfo> {
    const e = this.jobs.get(id);
    if (!e) return Promise.reject(new Error(`no job with id ${id}`));
    if (e.state === 'completed' || e.state === 'dead') return Promise.resolve(info(e));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${id} did not finish within ${timeoutMs} ms`)), timeoutMs);
      e.waiters.push(() => {
        clearTimeout(timer);
        resolve(info(e));
      });
    });
  }

  async counts(): Promise<QueueCounts> {
    const c: QueueCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0 };
    for (const e of this.jobs.values()) c[e.state]++;
    return c;
  }

  async deadLetters(): Promise<JobInfo[]> {
    return [...this.jobs.values()].filter((e) => e.state === 'dead').map(info);
  }

  process(handlers: JobHandlers, options: WorkerOptions = {}): JobWorker {
    const worker: LocalWorker = { handlers, onCompleted: options.onCompleted, onDead: options.onDead, concurrency: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY), running: new Set(), closed: false };
    this.workers.push(worker);
    this.pump();
    return {
      close: async () => {
        worker.closed = true;
        this.workers.splice(this.workers.indexOf(worker), 1);
        await Promise.all(worker.running);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the job queue is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.workers]) w.closed = true;
    await Promise.all(this.workers.flatMap((w) => [...w.running]));
    this.workers.length = 0;
    for (const e of this.jobs.values()) if (e.timer) clearTimeout(e.timer);
  }

  /** Hand due jobs to workers with a free slot, oldest first. */
  private pump(): void {
    while (this.ready.length > 0) {
      const worker = this.workers.find((w) => !w.closed && w.running.size < w.concurrency);
      if (!worker) return;
      const entry = this.ready.shift() as Entry;
      const run = this.run(worker, entry).finally(() => {
        worker.running.delete(run);
        this.pump();
      });
      worker.running.add(run);
    }
  }

  private async run(worker: LocalWorker, e: Entry): Promise<void> {
    e.state = 'active';
    const started = Date.now();
    metrics.jobWait.observe({ kind: e.kind }, (started - e.dueAt) / 1000);
    const handler = worker.handlers[e.kind] as JobHandler | undefined;
    try {
      if (!handler) throw new Error(`no handler for jobs of kind "${e.kind}" in this worker`);
      e.result = await handler({
        id: e.id, kind: e.kind, data: e.data, attempt: e.attemptsMade + 1, attempts: e.attempts, enqueuedAt: e.enqueuedAt,
        progress: async (value) => {
          e.progress = value;
        },
      });
      e.attemptsMade++;
      e.state = 'completed';
      e.error = undefined;
      metrics.jobDuration.observe({ kind: e.kind, outcome: 'completed' }, (Date.now() - started) / 1000);
      this.finished(e);
      const onCompleted = worker.onCompleted;
      if (onCompleted) {
        await Promise.resolve()
          .then(() => onCompleted({ id: e.id, kind: e.kind, data: e.data }))
          .catch((err: unknown) => this.log.warn({ err, job: e.id, kind: e.kind }, 'after-completion step of a job failed'));
      }
    } catch (err) {
      // Put back, not failed: the slot is free again and no attempt is used.
      if (err instanceof RetryLater) {
        this.log.debug({ job: e.id, kind: e.kind, retry_in_ms: err.delayMs, reason: err.message }, 'job put back to run later');
        this.later(e, err.delayMs);
        return;
      }
      e.attemptsMade++;
      e.error = err instanceof Error ? err.message : String(err);
      // No retry can help a job nobody handles.
      if (handler && e.attemptsMade < e.attempts && !(err instanceof PermanentJobError)) {
        const delay = backoffDelay(e.backoffMs, e.attemptsMade);
        this.log.warn({ err, job: e.id, kind: e.kind, attempt: e.attemptsMade, retry_in_ms: delay }, 'job failed; retrying');
        metrics.jobDuration.observe({ kind: e.kind, outcome: 'retry' }, (Date.now() - started) / 1000);
        this.later(e, delay);
      } else {
        this.log.error({ err, job: e.id, kind: e.kind, attempts: e.attemptsMade }, 'job failed on its last attempt; kept as a dead letter');
        metrics.jobDuration.observe({ kind: e.kind, outcome: 'dead' }, (Date.now() - started) / 1000);
        e.state = 'dead';
        this.finished(e);
        const onDead = worker.onDead;
        if (onDead) {
          await Promise.resolve()
            .then(() => onDead({ id: e.id, kind: e.kind, data: e.data, error: e.error }))
            .catch((hookErr: unknown) => this.log.warn({ err: hookErr, job: e.id, kind: e.kind }, 'after-death step of a job failed'));
        }
      }
    }
  }

  /** Delayed for `delay` ms, then back in line. */
  private later(e: Entry, delay: number): void {
    e.state = 'delayed';
    e.dueAt = Date.now() + delay;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (this.closed) return;
      e.state = 'waiting';
      this.ready.push(e);
      this.pump();
    }, delay);
    e.timer.unref();
  }

  private finished(e: Entry): void {
    for (const w of e.waiters.splice(0)) w();
    if (e.state !== 'completed') return;
    this.completedOrder.push(e.id);
    if (this.completedOrder.length > KEEP_COMPLETED * 1.1) {
      for (const id of this.completedOrder.splice(0, this.completedOrder.length - KEEP_COMPLETED)) this.jobs.delete(id);
    }
  }
}

function info(e: Entry): JobInfo {
  return {
    id: e.id, kind: e.kind, state: e.state, data: e.data, attemptsMade: e.attemptsMade, progress: e.progress,
    ...(e.result !== undefined ? { result: e.result } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
  };
}
