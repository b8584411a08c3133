/**
 * A fixed-size pool of PKCS#11 sessions. A session serves one operation at a time (PKCS#11
 * sessions are not safe to share between concurrent operations); a broken one is discarded and
 * replaced in the background.
 */
import { XksError } from './errors';

export interface SessionFactory<S> {
  open(): S;
  close(session: S): void;
}

interface Waiter<S> {
  readonly timer: NodeJS.Timeout;
  readonly resolve: (session: S) => void;
}

export class SessionPool<S> {
  private readonly idle: S[] = [];
  private readonly waiters: Waiter<S>[] = [];
  private open = 0;
  private closed = false;
  /** Sessions replaced after an error since start; reported by health and logs. */
  public replaced = 0;

  constructor(private readonly factory: SessionFactory<S>, private readonly size: number, private readonly acquireTimeoutMs: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.openOne());
  }

  /** Sessions currently open (idle or busy). */
  public get openCount(): number {
    return this.open;
  }

  public acquire(): Promise<S> {
    if (this.closed) return Promise.reject(new XksError('InternalException', 'the HSM session pool is closed'));
    const session = this.idle.pop();
    if (session !== undefined) return Promise.resolve(session);
    const refillError = this.refill();
    if (this.open === 0) {
      // No session at all and the HSM refuses new ones: fail now rather than wait for a timeout.
      return Promise.reject(new XksError('InternalException', `cannot open an HSM session: ${refillError ?? 'unknown error'}`));
    }
    const reopened = this.idle.pop();
    if (reopened !== undefined) return Promise.resolve(reopened);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<S> = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new XksError('ThrottlingException', 'all HSM sessions are busy'));
        }, this.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  public release(session: S): void {
    if (this.closed) return this.closeOne(session);
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(session);
    } else {
      this.idle.push(session);
    }
  }

  /** Drops a session after an unexpected HSM error and opens a replacement. */
  public discard(session: S): void {
    this.closeOne(session);
    this.replaced++;
    this.refill();
  }

  public close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) clearTimeout(waiter.timer);
    for (const session of this.idle.splice(0)) this.closeOne(session);
  }

  private openOne(): S {
    const session = this.factory.open();
    this.open++;
    return session;
  }

  private closeOne(session: S): void {
    this.open--;
    try {
      this.factory.close(session);
    } catch {
      // The session is already gone on the HSM side; nothing more to release.
    }
  }

  /** Reopens missing sessions; when the HSM refuses, returns why and the next acquire tries again. */
  private refill(): string | undefined {
    while (!this.closed && this.open < this.size) {
      let session: S;
      try {
        session = this.openOne();
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      this.release(session);
    }
    return undefined;
  }
}
