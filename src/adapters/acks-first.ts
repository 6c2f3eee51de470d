/**
 * Acks before everything else. Slack and Feishu give a webhook delivery 3 s for its 200 and send
 * it again after; what runs after an ack (gates, the hand-off to a worker, an answer computed in
 * place) shares the thread with the acks of the requests behind it. An adapter counts the requests
 * it is verifying and acking (`acking`), and work asks `quiet(since)` before it starts: at once
 * when no request is being acked, else once none is (looked at again on the next turn of the event
 * loop, so a request read meanwhile keeps the work waiting), and at the latest `maxWaitMs` after
 * `since`, so a steady stream of requests (or one that never finishes sending its body) delays
 * work, never starves it.
 */
/** Longest the work after an ack waits for a burst of requests to be acked before it starts anyway. */
const MAX_WAIT_MS = 1_000;

export class AcksFirst {
  private inFlight = 0;
  private readonly waiting = new Set<() => void>();
  private releaseScheduled = false;

  constructor(private readonly maxWaitMs = MAX_WAIT_MS) {}

  /** Run `ack` (reading, verifying and answering one request) counted as a request being acked. */
  async acking<T>(ack: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await ack();
    } finally {
      this.inFlight--;
      this.releaseWhenQuiet();
    }
  }

  /** Resolves once no request is being acked, or `maxWaitMs` after `since` (ms since the epoch), whichever is first. */
  quiet(since = Date.now()): Promise<void> {
    const left = since + this.maxWaitMs - Date.now();
    if (this.inFlight === 0 || left <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.waiting.delete(release);
        resolve();
      };
      const timer = setTimeout(release, left);
      this.waiting.add(release);
    });
  }

  private releaseWhenQuiet(): void {
    if (this.inFlight > 0 || this.waiting.size === 0 || this.releaseScheduled) return;
    this.releaseScheduled = true;
    // Not yet: requests that arrived with this one are read on this turn's poll phase.
    setImmediate(() => {
      this.releaseScheduled = false;
      if (this.inFlight === 0) for (const release of [...this.waiting]) release();
    });
  }
}
