/** What a piece of background work is, for the shutdown log. */
export interface WorkInfo {
  kind: 'event' | 'command' | 'question' | 'action' | 'background';
  since: number;
  eventId?: string;
  conversation?: string;
}

/**
 * The router's background work (dispatched events, button presses, long collections), so that
 * tests and shutdown can wait for it, and shutdown can say what it left unfinished.
 */
export class InflightWork {
  private readonly work = new Map<Promise<void>, WorkInfo>();

  constructor(private readonly now: () => number = Date.now) {}

  add(work: Promise<unknown>, info: WorkInfo): void {
    const p = work.then(() => undefined, () => undefined).finally(() => this.work.delete(p));
    this.work.set(p, info);
  }

  get size(): number {
    return this.work.size;
  }

  /** Resolve when nothing is in flight (work started meanwhile included), or at `until` (epoch ms). */
  async settled(until: () => number = () => Infinity): Promise<void> {
    while (this.work.size > 0) {
      const left = until() - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const limit = Number.isFinite(left) ? new Promise<void>((resolve) => (timer = setTimeout(resolve, left))) : new Promise<void>(() => undefined);
      await Promise.race([Promise.allSettled([...this.work.keys()]), limit]);
      if (timer) clearTimeout(timer);
    }
  }

  /** The unfinished work, for a log line. */
  describe(): { kind: WorkInfo['kind']; event_id?: string; conversation?: string; age_ms: number }[] {
    const now = this.now();
    return [...this.work.values()].map((w) => ({ kind: w.kind, event_id: w.eventId, conversation: w.conversation, age_ms: now - w.since }));
  }
}
