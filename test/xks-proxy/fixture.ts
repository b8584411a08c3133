/**
 * The proxy running on loopback as its own process (the bundled assets/xks-proxy/server/index.js),
 * on a fresh SoftHSM2 token, with its JSON log lines captured for assertions.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REGION, TestCredential } from './client';
import { createSoftHsmToken, SOFTHSM_LIBRARY, SoftHsmToken, TestKey, TOKEN_LABEL, USER_PIN } from './softhsm';

export const HEALTH_KEY = 'xks-health';
export const PROXY_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'xks-proxy', 'server', 'index.js');

/** A random credential in the formats the spec requires. */
export function newCredential(): TestCredential {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const accessKeyId = Array.from(randomBytes(24), (b) => alphabet[b % 32]).join('');
  return { accessKeyId, secretAccessKey: randomBytes(32).toString('base64') };
}

/** A minimal valid configuration document for a plain-HTTP proxy on ephemeral ports. */
export function baseConfig(credentials: readonly TestCredential[], keys: readonly string[]): Record<string, any> {
  return {
    server: { host: '127.0.0.1', port: 0, plainHttp: true },
    healthCheck: { host: '127.0.0.1', port: 0 },
    // Generous time limits: CI machines are small and busy, and no test here is about latency
    // (the latency thresholds have their own unit tests with a fake HSM).
    health: { degradedLatencyMs: 10_000 },
    pkcs11: {
      library: SOFTHSM_LIBRARY,
      tokenLabel: TOKEN_LABEL,
      pin: USER_PIN,
      healthKeyLabel: HEALTH_KEY,
      sessionPoolSize: 4,
      acquireTimeoutMs: 10_000,
      operationTimeoutMs: 10_000,
    },
    keyStores: [{ uriPathPrefix: '/ks/a', region: REGION, credentials, keys }],
  };
}

export interface ProxyFixture {
  readonly apiPort: number;
  readonly healthPort: number;
  readonly token: SoftHsmToken;
  readonly configFile: string;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, any>>;
  readonly process: ChildProcess;
  /** Resolves with the first log line (already written or future) that satisfies the predicate. */
  waitForLog(predicate: (line: Record<string, any>, index: number) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

/**
 * Starts the bundled proxy and resolves when it logs `started`. `wrapper` runs it through another
 * command first (e.g. the container entrypoint script).
 */
export async function startProxyProcess(
  token: SoftHsmToken,
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  wrapper: readonly string[] = [],
): Promise<ProxyFixture> {
  if (!fs.existsSync(PROXY_BUNDLE)) throw new Error(`${PROXY_BUNDLE} is missing: run \`npx projen bundle\``);
  const command = [...wrapper, process.execPath, PROXY_BUNDLE, '--config', configFile];
  const child = spawn(command[0], command.slice(1), {
    env: { ...token.env, XKS_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, any>> = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line) logs.push(JSON.parse(line));
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  type LogLine = Record<string, any>;
  const waitForLog = (predicate: (line: LogLine, index: number) => boolean, timeoutMs = 10_000) => new Promise<LogLine>((resolve, reject) => {
    const check = () => {
      const found = logs.find(predicate);
      if (found) {
        cleanup();
        resolve(found);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`proxy exited with ${code}: ${stderr}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for a log line; stderr: ${stderr}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      listeners.delete(check);
      child.off('exit', onExit);
    };
    listeners.add(check);
    child.on('exit', onExit);
    check();
  });

  const started = await waitForLog((l) => l.msg === 'started');
  return {
    apiPort: started.apiPort,
    healthPort: started.healthPort,
    token,
    configFile,
    logs,
    process: child,
    waitForLog,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** A new token with `keys` (plus the health key) and a proxy process configured by `configure`. */
export async function startFixture(
  keys: readonly TestKey[],
  configure: (config: Record<string, any>) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<ProxyFixture> {
  const token = createSoftHsmToken([...keys, { label: HEALTH_KEY }]);
  const document = baseConfig([], []);
  configure(document);
  const configFile = path.join(token.dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(document, null, 2));
  try {
    const fixture = await startProxyProcess(token, configFile, env);
    return { ...fixture, stop: async () => { await fixture.stop(); token.cleanup(); } };
  } catch (error) {
    token.cleanup();
    throw error;
  }
}
