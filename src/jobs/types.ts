/**
 * The job queue port. Work that may take seconds (an answer, a distillation, an ingest, a
 * summary) is enqueued by whoever received the request and run by a worker, possibly in another
 * process. Two implementations stand behind it: in-process (the embedded default, no Redis) and
 * BullMQ on Redis (REDIS_URL). test/jobs/job-queue.contract.ts is the suite both must pass.
 */
export const JOB_KINDS = ['answer', 'distill', 'ingest', 'summarize'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface EnqueueOptions {
  /**
   * Idempotency key: a second enqueue with the same id while the first job is still known
   * (waiting, running, finished or dead) adds nothing. Default: a random id.
   */
  id?: string;
  /** Runs in all before the job is dead-lettered. Default 3. */
  attempts?: number;
  /** Wait before the first retry; each later retry waits twice as long. Default 1000 ms. */
  backoffMs?: number;
}

/** What a handler sees of its job. */
export interface JobContext<T = unknown> {
  id: string;
  kind: JobKind;
  data: T;
  /** 1 on the first run, 2 on the first retry... */
  attempt: number;
  /** Runs allowed in all: when `attempt` equals it, a failure makes the job a dead letter. */
  attempts: number;
  /** When the job was enqueued (ms since epoch): a run put back by RetryLater can tell how long it has been waiting. */
  enqueuedAt: number;
  /** Report progress (a percentage or a small JSON object); readers see it through get(). */
  progress(value: JobProgress): Promise<void>;
}

export type JobProgress = number | Record<string, unknown>;
export type JobHandler<T = unknown, R = unknown> = (job: JobContext<T>) => Promise<R>;
export type JobHandlers = Partial<Record<JobKind, JobHandler<never>>>;

/** `dead`: every attempt failed; the job is kept (a dead letter) until someone looks at it. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';

export interface JobInfo {
  id: string;
  kind: JobKind;
  state: JobState;
  data: unknown;
  /** Runs that ended (in failure or success). */
  attemptsMade: number;
  progress: JobProgress;
  result?: unknown;
  /** The last failure's message. */
  error?: string;
}

export type QueueCounts = Record<JobState, number>;

export interface WorkerOptions {
  /** Jobs this worker runs at once. Default 4. */
  concurrency?: number;
  /**
   * Called once the queue has recorded a job this worker ran as completed (its id kept, so it
   * will not run again): where a handler's own progress records can be let go. Errors are logged.
   */
  onCompleted?: (job: { id: string; kind: JobKind; data: unknown }) => Promise<void> | void;
  /**
   * Called once when a job this worker ran (or was the last to pick up) is dead: its attempts used
   * up, a PermanentJobError, or its workers stopped too often (stalled). Where the user is told. Errors are logged.
   */
  onDead?: (job: { id: string; kind: JobKind; data: unknown; error?: string }) => Promise<void> | void;
}

export interface JobWorker {
  /** Stop taking jobs and wait for those running to finish. */
  close(): Promise<void>;
}

export interface JobQueue {
  readonly backend: 'in-process' | 'bullmq';
  enqueue<T>(kind: JobKind, data: T, options?: EnqueueOptions): Promise<{ id: string }>;
  get(id: string): Promise<JobInfo | undefined>;
  /** Resolves once the job has completed or is dead; rejects after timeoutMs. */
  waitFor(id: string, timeoutMs: number): Promise<JobInfo>;
  counts(): Promise<QueueCounts>;
  deadLetters(): Promise<JobInfo[]>;
  /** Run the registered handlers on jobs of their kinds; a job of a kind with no handler fails. */
  process(handlers: JobHandlers, options?: WorkerOptions): JobWorker;
  /** Throws when the backend cannot be reached (for /readyz). */
  ping(): Promise<void>;
  /** Close workers and connections. */
  close(): Promise<void>;
}

/**
 * Thrown by a handler for a failure no retry can help (bad input, a missing setting): the job
 * becomes a dead letter at once.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/**
 * Thrown by a handler that cannot do its work yet (it waits for another job): the job gives its
 * worker slot back and is run again in `delayMs`. Not a failure: no attempt is used (the next run
 * has the same `attempt`), nothing is logged as an error, and it never makes a dead letter. The
 * handler decides when to stop putting itself back (JobContext.enqueuedAt tells how long it waited).
 */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
  constructor(
    readonly delayMs: number,
    reason = 'not ready yet',
  ) {
    super(`${reason}; running again in ${delayMs} ms`);
  }
}

/** Whether this run is the job's last: a failure now makes it a dead letter (the moment to tell the user). */
export function isLastAttempt(job: Pick<JobContext, 'attempt' | 'attempts'>, err?: unknown): boolean {
  return job.attempt >= job.attempts || err instanceof PermanentJobError;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;
export const DEFAULT_CONCURRENCY = 4;

/** The wait before retry number `retry` (1 = the first retry): doubles each time. */
export function backoffDelay(backoffMs: number, retry: number): number {
  return Math.round(backoffMs * 2 ** (retry - 1));
}

export function isJobKind(name: string): name is JobKind {
  return (JOB_KINDS as readonly string[]).includes(name);
}
