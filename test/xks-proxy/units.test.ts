/**
 * The session pool and the health cache on their own, with stand-ins for the HSM: timing and
 * exclusivity that a real token cannot be made to show on demand.
 */
import { HealthMonitor } from '../../lambda/xks-proxy/health';
import type { Hsm } from '../../lambda/xks-proxy/hsm';
import { Logger } from '../../lambda/xks-proxy/log';
import { SessionPool } from '../../lambda/xks-proxy/session-pool';

describe('SessionPool', () => {
  function pool(size: number, acquireTimeoutMs = 50) {
    let next = 0;
    const closed: number[] = [];
    const p = new SessionPool<number>({ open: () => next++, close: (s) => closed.push(s) }, size, acquireTimeoutMs);
    return { p, closed };
  }

  test('never hands one session to two holders; a waiter gets the released session', async () => {
    const { p } = pool(2);
    const first = await p.acquire();
    const second = await p.acquire();
    expect(first).not.toBe(second);
    const waiting = p.acquire();
    p.release(first);
    expect(await waiting).toBe(first);
  });

  test('waiting longer than acquireTimeoutMs is a ThrottlingException', async () => {
    const { p } = pool(1, 20);
    await p.acquire();
    await expect(p.acquire()).rejects.toMatchObject({ errorName: 'ThrottlingException' });
  });

  test('a discarded session is closed and replaced', async () => {
    const { p, closed } = pool(1);
    const broken = await p.acquire();
    p.discard(broken);
    expect(closed).toEqual([broken]);
    expect(p.replaced).toBe(1);
    expect(await p.acquire()).not.toBe(broken);
  });
});

describe('HealthMonitor', () => {
  function monitor(delayMs: number, fail = false, cacheMs = 1000) {
    const calls = { encrypt: 0 };
    const hsm = {
      replacedSessions: 0,
      encrypt: async (_label: string, plaintext: Buffer) => {
        calls.encrypt++;
        await new Promise((r) => setTimeout(r, delayMs));
        if (fail) throw new Error('HSM gone');
        return { ciphertext: plaintext, iv: Buffer.alloc(12), tag: Buffer.alloc(16) };
      },
      decrypt: async (_label: string, ciphertext: Buffer) => ciphertext,
    } as unknown as Hsm;
    return { calls, health: new HealthMonitor(hsm, 'health-key', { cacheMs, degradedLatencyMs: 30 }, new Logger('error', () => undefined)) };
  }

  test('concurrent callers share one deep check, and the result is cached for cacheMs', async () => {
    const { calls, health } = monitor(1);
    expect(await Promise.all([health.status(), health.status()])).toEqual(['ACTIVE', 'ACTIVE']);
    expect(await health.status()).toBe('ACTIVE');
    expect(calls.encrypt).toBe(1);
    expect(await health.status(Date.now() + 2000)).toBe('ACTIVE');
    expect(calls.encrypt).toBe(2);
  });

  test('a slow HSM is DEGRADED and a failing one UNAVAILABLE', async () => {
    expect(await monitor(60).health.status()).toBe('DEGRADED');
    expect(await monitor(1, true).health.status()).toBe('UNAVAILABLE');
  });
});
