import { performance } from 'node:perf_hooks';

/**
 * Acks before everything else. Slack and Feishu give a webhook delivery 3 s for its 200 and send
 * it again after; what runs after an ack (gates, the hand-off to a worker, an answer computed in
 * place) shares the CPU with the acks of the requests behind it. An adapter counts the requests it
 * is verifying and acking (`acking`), and work asks `quiet(since)` before it starts: once no
 * request is being acked and the requests are not coming as a burst (fewer than BURST_ACKS acked
 * in the last `idleMs`: between two requests of a burst, the sender or another replica on the same
 * cores may keep this one idle for a few milliseconds), and at the latest `maxWaitMs` after
 * `since`, so a stream of requests (or one that never finishes sending its body) delays work,
 * never starves it. A steady stream slower than that rate starts work between its requests.
 */
/** Longest the work after an ack waits for a burst of requests to be acked before it starts anyway. */
const MAX_WAIT_MS = 1_000;
/** The window a burst is looked for in. */
const IDLE_MS = 10;
/** Acks within IDLE_MS that make a burst (4 in 10 ms: 400 requests a second). */
const BURST_ACKS = 4;

export class AcksFirst {
  private inFlight = 0;
  /** performance.now() of the last BURST_ACKS acks, oldest first. */
  private readonly recent: number[] = [];
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
      this.recent.push(performance.now());
      if (this.recent.length > BURST_ACKS) this.recent.shift();
      this.releaseWhenQuiet();
    }
  }

  /** Resolves once `ready(since)`: at once, or when the burst being acked has ended, or `maxWaitMs` after `since`. */
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

  /** Whether work that has waited since `since` (ms since the epoch) may start now. */
  ready(since: number): boolean {
    return this.isQuiet() || Date.now() >= since + this.maxWaitMs;
  }

  private isQuiet(): boolean {
    return this.inFlight === 0 && performance.now() >= this.burstEnd();
  }

  /** When the last BURST_ACKS acks stop counting as a burst (-Infinity with fewer acks so far). */
  private burstEnd(): number {
    return this.recent.length < BURST_ACKS ? Number.NEGATIVE_INFINITY : this.recent[0] + this.idleMs;
  }

  /** One timer for every waiting item: at the end of the burst window, release them if still quiet. */
  private releaseWhenQuiet(): void {
    if (this.inFlight > 0 || this.waiting.size === 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = undefined;
        if (this.isQuiet()) for (const release of [...this.waiting]) release();
        else this.releaseWhenQuiet();
      },
      Math.max(0, this.burstEnd() - performance.now()),
    );
  }
}
