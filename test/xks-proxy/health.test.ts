/**
 * Health reports the real state of the HSM: ACTIVE when a test encryption works, DEGRADED after
 * sessions were lost and replaced, UNAVAILABLE (and 503 for the load balancer) when the HSM is gone;
 * a slow HSM is a DependencyTimeoutException. The HSM is broken by a harness in a child process.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { baseConfig, HEALTH_KEY, newCredential } from './fixture';
import { createSoftHsmToken, SoftHsmToken } from './softhsm';

let token: SoftHsmToken;
let observed: any;

beforeAll(() => {
  token = createSoftHsmToken([{ label: 'key-1' }, { label: HEALTH_KEY }]);
  const config = baseConfig([newCredential()], ['key-1']);
  config.health = { cacheMs: 0, degradedLatencyMs: 10_000 };
  config.pkcs11.sessionPoolSize = 2;
  // Long enough for a healthy call on a busy CI machine, far shorter than the harness's busy workers.
  config.pkcs11.operationTimeoutMs = 500;
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'broken-hsm.harness.ts'), JSON.stringify(config)], {
    env: { ...token.env, UV_THREADPOOL_SIZE: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  observed = JSON.parse(output.toString('utf8'));
});

afterAll(() => token?.cleanup());

test('a healthy HSM is ACTIVE and the load balancer gets 200', () => {
  expect(observed.healthy).toEqual({ health: 'ACTIVE', loadBalancer: 200, encrypt: { status: 200 } });
});

test('sessions lost under the proxy are replaced: DEGRADED first, requests keep working, then ACTIVE again', () => {
  expect(observed.sessionsLost).toEqual({ health: 'DEGRADED', loadBalancer: 200, encrypt: { status: 200 } });
  expect(observed.recovered.at(-1)).toBe('ACTIVE');
});

test('an HSM slower than operationTimeoutMs is a DependencyTimeoutException (503)', () => {
  expect(observed.slowHsm).toEqual({ status: 503, errorName: 'DependencyTimeoutException' });
});

test('an HSM that is gone is UNAVAILABLE, 503 for the load balancer, InternalException (500) for requests', () => {
  expect(observed.hsmGone).toEqual({ health: 'UNAVAILABLE', loadBalancer: 503, encrypt: { status: 500, errorName: 'InternalException' } });
});
