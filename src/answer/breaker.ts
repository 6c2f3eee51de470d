/**
 * A circuit breaker for the model endpoint. After `threshold` failures in a row it opens: calls
 * are refused at once (the caller answers offline) for `cooldownMs`. Then one probe call is let
 * through; its success closes the breaker, its failure opens it for another cool-down.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private isOpen = false;
  private probing = false;
  private lastCode: string | undefined;

  constructor(
    /** Failures in a row that open the breaker; 0 never opens it. */
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  state(): BreakerState {
    if (!this.isOpen) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a call may go to the model now. In half-open state only one probe at a time. */
  admit(): boolean {
    const s = this.state();
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** A call succeeded; returns true when this closed an open breaker. */
  success(): boolean {
    const wasOpen = this.isOpen;
    this.failures = 0;
    this.isOpen = false;
    this.probing = false;
    this.lastCode = undefined;
    return wasOpen;
  }

  /** A call failed; returns true when this opened (or re-opened) the breaker. */
  failure(code: string): boolean {
    this.failures++;
    this.lastCode = code;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || (!this.isOpen && this.threshold > 0 && this.failures >= this.threshold)) {
      this.isOpen = true;
      this.openedAt = this.now();
      return true;
    }
    return false;
  }

  /** A call ended without a verdict on the endpoint (aborted at shutdown). */
  release(): void {
    this.probing = false;
  }

  snapshot(): { state: BreakerState; consecutiveFailures: number; lastError?: string; retryAt?: number } {
    const state = this.state();
    return {
      state,
      consecutiveFailures: this.failures,
      lastError: this.lastCode,
      retryAt: this.isOpen ? this.openedAt + this.cooldownMs : undefined,
    };
  }
}
