/**
 * Lanes keep slow work from blocking fast work. Commands, placeholders and acks never wait for
 * a model; questions wait only for the question before them in the same conversation (so they
 * are answered in order) and for a free slot under the global answer limit.
 */

/** At most `limit` pieces of work at once; the rest wait in arrival order. */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/** A place in a conversation's queue, taken when the question arrives. */
export interface Turn {
  /** Wait for the questions before this one, then run `work` under the global answer limit. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Let the next question of the conversation go (idempotent); call when done, also on failure. */
  release(): void;
}

export class ConversationLanes {
  private readonly tails = new Map<string, Promise<void>>();
  readonly answers: Semaphore;

  constructor(limit: number) {
    this.answers = new Semaphore(Math.max(1, limit));
  }

  /** Take the next place in `key`'s queue. Synchronous, so arrival order is queue order. */
  reserve(key: string): Turn {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => done);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return {
      run: async (work) => {
        await before;
        return this.answers.run(work);
      },
      release,
    };
  }

  /** Conversations with a question waiting or running. */
  get size(): number {
    return this.tails.size;
  }
}
