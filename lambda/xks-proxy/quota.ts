/** A token bucket: `requestsPerSecond` refill rate, `burst` capacity. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly requestsPerSecond: number, private readonly burst: number, now = Date.now()) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the quota is exhausted. */
  public take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.requestsPerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
