import { performance } from 'node:perf_hooks';

/**
 * Acks before everything else. Slack and Feishu give a webhook delivery 3 s for its 200 and send
 * it again after; what runs after an ack (gates, the hand-off to a worker, an answer computed in
 * place) shares the CPU with the acks of the requests behind it. An adapter counts the requests it
 * is verifying and acking (`acking`), and work asks `quiet(since)` before it starts: once no
 * request is being acked and none has been for `idleMs` (the end of a burst: between two requests
 * of one, the sender or another replica on the same cores may keep this one idle for a few
 * milliseconds), and at the latest `maxWaitMs` after `since`, so a steady stream of requests (or one
 * that never finishes sending its body) delays work, never starves it.
 */
/** Longest the work after an ack waits for a burst of requests to be acked before it starts anyway. */
const MAX_WAIT_MS = 1_000;
/** How long no request must have been acked before the work after the acks starts. */
const IDLE_MS = 10;

export class AcksFirst {
  private inFlight = 0;
  /** performance.now() when the last request finished being acked. */
  private lastAckedAt = Number.NEGATIVE_INFINITY;
  private readonly waiting = new Set<() => void>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxWaitMs = MAX_WAIT_MS,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Run `ack` (reading, verifying and answering one request) counted as a request being acked. */
  async acking<T>(ack: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await ack();
    } finally {
      this.inFlight--;
      this.lastAckedAt = performance.now();
      this.releaseWhenQuiet();
    }
  }

  /** Resolves once no request has been acked for `idleMs`, or `maxWaitMs` after `since` (ms since the epoch), whichever is first. */
  quiet(since = Date.now()): Promise<void> {
    const left = since + this.maxWaitMs - Date.now();
    if (left <= 0 || this.isQuiet()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.waiting.delete(release);
        resolve();
      };
      const timer = setTimeout(release, left);
      this.waiting.add(release);
      this.releaseWhenQuiet();
    });
  }

  private isQuiet(): boolean {
    return this.inFlight === 0 && performance.now() - this.lastAckedAt >= this.idleMs;
  }

  /** One timer for every waiting item: at the end of the idle window after the last ack, release them if still quiet. */
  private releaseWhenQuiet(): void {
    if (this.inFlight > 0 || this.waiting.size === 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = undefined;
        if (this.isQuiet()) for (const release of [...this.waiting]) release();
        else this.releaseWhenQuiet();
      },
      Math.max(1, this.lastAckedAt + this.idleMs - performance.now()),
    );
  }
}
