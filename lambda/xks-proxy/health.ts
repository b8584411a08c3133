/**
 * The deep health check: a test encryption and decryption with the health key on the HSM,
 * cached for `cacheMs` and shared by concurrent callers.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProxyConfig } from './config';
import type { Hsm } from './hsm';
import type { Logger } from './log';

export type HealthStatus = 'ACTIVE' | 'DEGRADED' | 'UNAVAILABLE';

export class HealthMonitor {
  private cached?: { status: HealthStatus; at: number };
  private running?: Promise<HealthStatus>;

  constructor(
    private readonly hsm: Hsm,
    private readonly healthKeyLabel: string,
    private readonly settings: ProxyConfig['health'],
    private readonly log: Logger,
  ) {}

  public async status(now = Date.now()): Promise<HealthStatus> {
    if (this.cached && now - this.cached.at < this.settings.cacheMs) return this.cached.status;
    this.running ??= this.check().then((status) => {
      this.cached = { status, at: Date.now() };
      this.running = undefined;
      return status;
    });
    return this.running;
  }

  private async check(): Promise<HealthStatus> {
    const replacedBefore = this.hsm.replacedSessions;
    const started = performance.now();
    try {
      const probe = randomBytes(32);
      const aad = Buffer.from('xks-proxy-health-check');
      const { ciphertext, iv, tag } = await this.hsm.encrypt(this.healthKeyLabel, probe, aad);
      const back = await this.hsm.decrypt(this.healthKeyLabel, ciphertext, iv, tag, aad);
      if (!timingSafeEqual(back, probe)) throw new Error('the test decryption returned different bytes');
    } catch (error) {
      this.log.error('health.unavailable', { reason: error instanceof Error ? error.message : String(error) });
      return 'UNAVAILABLE';
    }
    const latencyMs = Math.round(performance.now() - started);
    // A session had to be replaced to get here, or the HSM is slow: still serving, but not well.
    const replaced = this.hsm.replacedSessions - replacedBefore;
    if (replaced > 0 || latencyMs > this.settings.degradedLatencyMs) {
      this.log.warn('health.degraded', { latencyMs, replacedSessions: replaced });
      return 'DEGRADED';
    }
    return 'ACTIVE';
  }
}
