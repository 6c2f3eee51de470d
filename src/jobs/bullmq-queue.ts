import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobState as BullState } from 'bullmq';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { redisOptions } from '../store/redis-connection';
import { metrics } from './metrics';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_CONCURRENCY,
  isJobKind,
  PermanentJobError,
  RetryLater,
  type EnqueueOptions,
  type JobHandler,
  type JobHandlers,
  type JobInfo,
  type JobKind,
  type JobProgress,
  type JobQueue,
  type JobState,
  type JobWorker,
  type QueueCounts,
  type WorkerOptions,
} from './types';

export interface BullMqQueueOptions {
  /** REDIS_URL. */
  url: string;
  /** The queue's name (one queue carries every kind; the job's name is its kind). Default `understudy`. */
  name?: string;
  log?: Logger;
  /**
   * How soon a job whose worker died is handed to another: its lock lapses after lockDurationMs
   * and the stalled check runs every stalledIntervalMs (BullMQ's defaults: 30 s each).
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Times a job may be taken back from a worker that stopped renewing its lock before it fails. */
const MAX_STALLS = 3;

/** Completed jobs stay this long (so their ids keep deduplicating); dead letters stay until removed. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };

/**
 * The job queue on Redis with BullMQ: one Queue to add jobs, Workers in any number of
 * processes, QueueEvents to wait for results. Idempotency is BullMQ's jobId (a second add with
 * the same id is ignored), retries are `attempts` with exponential `backoff`, and a job that
 * used up its attempts stays in the failed set as a dead letter. A worker that dies mid-job
 * loses its lock; the stalled check of another worker puts the job back to run again.
 */
export class BullMqJobQueue implements JobQueue {
  readonly backend = 'bullmq' as const;
  readonly name: string;
  private readonly connection: ConnectionOptions;
  private readonly queue: Queue;
  private events: Promise<QueueEvents> | undefined;
  private readonly workers = new Set<Worker>();
  private readonly log: Logger;

  constructor(private readonly options: BullMqQueueOptions) {
    this.name = options.name ?? 'understudy';
    this.log = options.log ?? silentLogger;
    // Workers block on Redis; BullMQ wants ioredis to retry their commands forever.
    this.connection = { ...redisOptions(options.url), maxRetriesPerRequest: null } as ConnectionOptions;
    this.queue = new Queue(this.name, { connection: this.connection, defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: false } });
    this.queue.on('error', (err) => this.log.error({ err, queue: this.name }, 'job queue connection error'));
  }

  async enqueue<T>(kind: JobKind, data: T, options: EnqueueOptions = {}): Promise<{ id: string }> {
    const id = options.id ?? randomUUID();
    await this.queue.add(kind, data, {
      jobId: jobIdOf(id),
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
      backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
    });
    return { id };
  }

  async get(id: string): Promise<JobInfo | undefined> {
    // The state first, then the job: a job read before it finished (no result, no attempt counted)
    // must not be reported with a state read after it finished.
    const state = await this.queue.getJobState(jobIdOf(id));
    const job = (await this.queue.getJob(jobIdOf(id))) as Job | undefined;
    if (!job) return undefined;
    return infoOf(job, state);
  }

  async waitFor(id: string, timeoutMs: number): Promise<JobInfo> {
    const events = await this.queueEvents();
    return new Promise<JobInfo>((resolve, reject) => {
      const jobId = jobIdOf(id);
      let done = false;
      const finish = (err: Error | undefined, info?: JobInfo): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        events.off('completed', onEvent);
        events.off('failed', onEvent);
        if (err) reject(err);
        else resolve(info as JobInfo);
      };
      const check = (): void => {
        this.get(id).then(
          (info) => {
            if (!info) finish(new Error(`no job with id ${id}`));
            else if (info.state === 'completed' || info.state === 'dead') finish(undefined, info);
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      };
      const onEvent = (args: { jobId: string }): void => {
        if (args.jobId === jobId) check();
      };
      events.on('completed', onEvent);
      events.on('failed', onEvent);
      // Events are fire-and-forget: a slow poll covers one missed while subscribing.
      const poll = setInterval(check, 1000);
      const timer = setTimeout(() => finish(new Error(`job ${id} did not finish within ${timeoutMs} ms`)), timeoutMs);
      check();
    });
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0, completed: c.completed ?? 0, dead: c.failed ?? 0 };
  }

  async deadLetters(): Promise<JobInfo[]> {
    const jobs = (await this.queue.getFailed(0, 999)) as Job[];
    return jobs.filter(Boolean).map((j) => infoOf(j, 'failed'));
  }

  process(handlers: JobHandlers, options: WorkerOptions = {}): JobWorker {
    const worker = new Worker(this.name, (job: Job, token?: string) => this.run(job, handlers, token), {
      connection: this.connection,
      concurrency: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY),
      // A lock can lapse while a busy process blocks its event loop (an index loading): a job may
      // stall, and run again, this often before it is failed; answers and the other jobs are idempotent.
      maxStalledCount: MAX_STALLS,
      ...(this.options.lockDurationMs ? { lockDuration: this.options.lockDurationMs } : {}),
      ...(this.options.stalledIntervalMs ? { stalledInterval: this.options.stalledIntervalMs } : {}),
    });
    worker.on('error', (err) => this.log.error({ err, queue: this.name }, 'job worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const dead = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      const fields = { err, job: idOf(job), kind: job.name, attempt: job.attemptsMade };
      if (dead) this.log.error(fields, 'job failed on its last attempt; kept as a dead letter');
      else this.log.warn(fields, 'job failed; retrying');
      // Emitted once, by the worker that moved the job to the failed set (a job stalled too often fails in the next worker to take it).
      const onDead = options.onDead;
      if (dead && onDead && isJobKind(job.name)) {
        Promise.resolve()
          .then(() => onDead({ id: idOf(job), kind: job.name as JobKind, data: job.data, error: err?.message }))
          .catch((hookErr: unknown) => this.log.warn({ err: hookErr, job: idOf(job), kind: job.name }, 'after-death step of a job failed'));
      }
    });
    const onCompleted = options.onCompleted;
    if (onCompleted) {
      worker.on('completed', (job: Job) => {
        if (!isJobKind(job.name)) return;
        Promise.resolve()
          .then(() => onCompleted({ id: idOf(job), kind: job.name as JobKind, data: job.data }))
          .catch((err: unknown) => this.log.warn({ err, job: idOf(job), kind: job.name }, 'after-completion step of a job failed'));
      });
    }
    worker.on('stalled', (jobId) => this.log.warn({ job: jobId, queue: this.name }, 'job stalled (its worker stopped renewing the lock); running it again'));
    this.workers.add(worker);
    return {
      close: async () => {
        this.workers.delete(worker);
        await worker.close();
      },
    };
  }

  private async run(job: Job, handlers: JobHandlers, token?: string): Promise<unknown> {
    const kind = job.name;
    const handler = isJobKind(kind) ? (handlers[kind] as JobHandler | undefined) : undefined;
    // No retry can help a job nobody handles.
    if (!handler || !isJobKind(kind)) throw new UnrecoverableError(`no handler for jobs of kind "${kind}" in this worker`);
    const started = Date.now();
    // A job run again after RetryLater has attemptsMade 0 too: its wait was counted on its first start.
    if (job.attemptsMade === 0 && (job.attemptsStarted ?? 0) <= 1) metrics.jobWait.observe({ kind }, Math.max(0, started - job.timestamp - (job.delay ?? 0)) / 1000);
    try {
      const result = await handler({
        id: idOf(job),
        kind,
        data: job.data as never,
        attempt: job.attemptsMade + 1,
        attempts: job.opts.attempts ?? 1,
        enqueuedAt: job.timestamp,
        progress: (value: JobProgress) => job.updateProgress(value),
      });
      metrics.jobDuration.observe({ kind, outcome: 'completed' }, (Date.now() - started) / 1000);
      return result;
    } catch (err) {
      // Put back, not failed: moved to the delayed set without using an attempt (BullMQ's
      // DelayedError tells the worker the job was moved, so it takes the next one).
      if (err instanceof RetryLater) {
        this.log.debug({ job: idOf(job), kind, retry_in_ms: err.delayMs, reason: err.message }, 'job put back to run later');
        await job.moveToDelayed(Date.now() + err.delayMs, token);
        throw new DelayedError(err.message);
      }
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1) || err instanceof PermanentJobError;
      metrics.jobDuration.observe({ kind, outcome: last ? 'dead' : 'retry' }, (Date.now() - started) / 1000);
      // BullMQ retries anything but its own UnrecoverableError.
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /**
   * One read of the queue within timeoutMs: with retries forever, a command to a Redis that is
   * down would wait for ever.
   */
  async ping(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.queue.getJobCounts('waiting'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Remove the queue and every job in it from Redis (tests; a fresh start). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.close()));
    this.workers.clear();
    const events = this.events;
    this.events = undefined;
    if (events) await (await events).close();
    await this.queue.close();
  }

  private queueEvents(): Promise<QueueEvents> {
    this.events ??= (async () => {
      const events = new QueueEvents(this.name, { connection: this.connection });
      events.on('error', (err) => this.log.error({ err, queue: this.name }, 'job events connection error'));
      await events.waitUntilReady();
      return events;
    })();
    return this.events;
  }
}

/**
 * BullMQ job ids may not be integers nor contain ':', and our keys (`slack:event:Ev1`) do:
 * the id is kept readable and reversible with a prefix and URI encoding.
 */
function jobIdOf(id: string): string {
  return `j.${encodeURIComponent(id)}`;
}

function idOf(job: Job): string {
  const raw = job.id ?? '';
  return raw.startsWith('j.') ? decodeURIComponent(raw.slice(2)) : raw;
}

function stateOf(state: BullState | 'unknown'): JobState {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'dead';
    case 'active':
      return 'active';
    case 'delayed':
      return 'delayed';
    default:
      return 'waiting';
  }
}

function infoOf(job: Job, state: BullState | 'unknown'): JobInfo {
  return {
    id: idOf(job),
    kind: job.name as JobKind,
    state: stateOf(state),
    data: job.data,
    attemptsMade: job.attemptsMade,
    progress: job.progress as JobProgress,
    ...(job.returnvalue !== undefined && job.returnvalue !== null ? { result: job.returnvalue } : {}),
    ...(job.failedReason ? { error: job.failedReason } : {}),
  };
}
