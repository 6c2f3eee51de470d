import type { Logger } from 'pino';
import type { TokenSink } from '../answer/answer';

/**
 * An answer shown while it is written: pieces come in through `sink`, and the text so far goes
 * out through `send` at most once per `intervalMs`, counted from the placeholder (the message the
 * drafts replace) and then from when the last draft was delivered (a send that was slow to reach
 * the platform is not followed by one too soon), so an answer that is ready within the interval
 * sends none. `finish()` sends the last pending text if the interval allows (else the answer,
 * which holds it all, replaces it) and waits for the draft in flight; nothing is sent after it.
 * A failed draft is logged, never fatal.
 */
export class DraftStream {
  private text = '';
  private sent = '';
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private done = false;

  constructor(
    private readonly send: (text: string) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
  }

  readonly sink: TokenSink = (piece, options) => {
    if (this.done) return;
    if (options?.restart) this.text = '';
    this.text += piece;
    this.schedule();
  };

  private due(): boolean {
    return this.text !== this.sent && this.text.trim() !== '';
  }

  private schedule(): void {
    if (this.done || this.timer || this.sending || !this.due()) return;
    const wait = Math.max(0, this.last + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (this.done || this.sending || !this.due()) return;
    const text = this.text;
    this.sent = text;
    this.sending = this.send(text)
      .then(
        () => undefined,
        (err: unknown) => this.log.warn({ err }, 'could not show the answer draft; the answer follows when complete'),
      )
      .finally(() => {
        this.last = this.now();
        this.sending = undefined;
        this.schedule();
      });
  }

  /**
   * The answer is ready (or failed: `flush` false): send the pending text if the interval allows,
   * wait for the draft in flight, then send nothing more.
   */
  async finish(flush = true): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Keep the stream from re-arming while the last draft is in flight.
    const pending = this.sending;
    this.done = true;
    await pending;
    if (flush && this.due() && this.now() - this.last >= this.intervalMs) {
      this.done = false;
      this.flush();
      this.done = true;
      await this.sending;
    }
  }
}
