/**
 * The proxy configuration (see CONFIG.md): where it comes from, its validation with one clear
 * message per problem, and the resolution of `{ env }` / `{ file }` secret references.
 */
import * as fs from 'node:fs';

/**
 * Default HSM time limits, chosen from bench/xks-proxy-timeouts.ts (README "XKS proxy"). KMS waits
 * 250 ms for the whole round trip, so an answer later than that is useless, but one earlier than that
 * is not: a limit below KMS's only turns slow-but-useful answers into errors on a busy machine.
 */
export const DEFAULT_OPERATION_TIMEOUT_MS = 240;
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 200;

export interface TlsConfig {
  readonly certificate: string;
  readonly privateKey: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly clientAuth?: { readonly caCertificates: string; readonly allowedCommonNames: readonly string[] };
}

export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One secondary-authorization rule: field name to allowed patterns ("*" is a wildcard). */
export type AuthorizationRule = Readonly<Record<string, readonly string[]>>;

export interface KeyStoreConfig {
  readonly uriPathPrefix: string;
  readonly region: string;
  readonly credentials: readonly Credential[];
  readonly keys: ReadonlySet<string>;
  readonly disabledKeys: ReadonlySet<string>;
  readonly quota?: { readonly requestsPerSecond: number; readonly burst: number };
  readonly authorizationRules?: readonly AuthorizationRule[];
}

export interface ProxyConfig {
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly plainHttp: boolean;
    readonly tls?: TlsConfig;
    readonly maxConnections: number;
    readonly requestTimeoutMs: number;
  };
  readonly healthCheck: { readonly host: string; readonly port: number; readonly path: string };
  readonly pkcs11: {
    readonly library: string;
    readonly tokenLabel: string;
    readonly pin: string;
    readonly sessionPoolSize: number;
    readonly acquireTimeoutMs: number;
    readonly operationTimeoutMs: number;
    readonly healthKeyLabel: string;
    readonly vendor?: string;
    readonly model?: string;
  };
  readonly health: { readonly cacheMs: number; readonly degradedLatencyMs: number };
  readonly proxy: { readonly vendor: string; readonly fleetSize: number };
  readonly reloadIntervalMs: number;
  readonly keyStores: readonly KeyStoreConfig[];
}

/** Thrown with every problem found, one per line, each naming its JSON path. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`invalid XKS proxy configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Where the configuration text was found; `file` is set when it can be re-read for reloads. */
export interface ConfigSource {
  readonly text: string;
  readonly file?: string;
}

/** `--config <path>`, then XKS_PROXY_CONFIG (a path), then XKS_PROXY_CONFIG_JSON (the document). */
export function readConfigSource(configPath: string | undefined, env: NodeJS.ProcessEnv): ConfigSource {
  const file = configPath ?? env.XKS_PROXY_CONFIG;
  if (file) {
    try {
      return { text: fs.readFileSync(file, 'utf8'), file };
    } catch (error) {
      throw new ConfigError([`cannot read configuration file ${file}: ${(error as Error).message}`]);
    }
  }
  if (env.XKS_PROXY_CONFIG_JSON) return { text: env.XKS_PROXY_CONFIG_JSON };
  throw new ConfigError(['no configuration: pass --config <file>, or set XKS_PROXY_CONFIG or XKS_PROXY_CONFIG_JSON']);
}

const ACCESS_KEY_ID = /^[A-Z2-7]{20,30}$/;
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/=]{43,64}$/;
const EXTERNAL_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;
const URI_PATH_PREFIX = /^(\/[A-Za-z0-9_-]+)*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AUTHORIZATION_FIELDS = [
  'awsPrincipalArn', 'kmsOperation', 'kmsKeyArn', 'kmsViaService', 'awsSourceVpc', 'awsSourceVpce', 'externalKeyId',
];
const API_SUFFIX = '/kms/xks/v1';

type Json = unknown;

/** Collects problems while reading a JSON document, so every mistake is reported at once. */
class Reader {
  public readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  public fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  /** An object with only the given fields (unknown fields are typos and must not pass silently). */
  public object(path: string, value: Json, fields: readonly string[], optional = false): Record<string, Json> | undefined {
    if (value === undefined && optional) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'must be an object');
    for (const key of Object.keys(value)) {
      if (!fields.includes(key)) this.fail(`${path}.${key}`, `unknown field (allowed: ${fields.join(', ')})`);
    }
    return value as Record<string, Json>;
  }

  public string(path: string, value: Json, pattern?: RegExp, fallback?: string): string | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string') return this.fail(path, value === undefined ? 'is required' : 'must be a string');
    if (pattern && !pattern.test(value)) return this.fail(path, `must match ${pattern}`);
    return value;
  }

  public optionalString(path: string, value: Json): string | undefined {
    return value === undefined ? undefined : this.string(path, value);
  }

  public integer(path: string, value: Json, min: number, max: number, fallback?: number): number | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(path, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  public boolean(path: string, value: Json, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return this.fail(path, 'must be true or false') ?? fallback;
    return value;
  }

  public array(path: string, value: Json, min: number, max: number, fallback?: Json[]): Json[] | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      return this.fail(path, `must be an array of ${min} to ${max} entries`);
    }
    return value;
  }

  public strings(path: string, value: Json, min: number, max: number, pattern?: RegExp, fallback?: string[]): string[] {
    const items = this.array(path, value, min, max, fallback) ?? [];
    return items.map((item, i) => this.string(`${path}[${i}]`, item, pattern)).filter((s): s is string => s !== undefined);
  }

  /** A literal string, `{ "env": NAME }` or `{ "file": PATH }`. */
  public secret(path: string, value: Json, pattern?: RegExp): string | undefined {
    const resolved = this.resolveSecret(path, value);
    if (resolved === undefined) return undefined;
    // Never echo a secret in an error message: name the rule only.
    if (pattern && !pattern.test(resolved)) return this.fail(path, `resolved value must match ${pattern}`);
    return resolved;
  }

  private resolveSecret(path: string, value: Json): string | undefined {
    if (typeof value === 'string') return value.length > 0 ? value : this.fail(path, 'must not be empty');
    const ref = this.object(path, value, ['env', 'file']);
    if (!ref) return undefined;
    if (typeof ref.env === 'string' && ref.file === undefined) {
      const resolved = this.env[ref.env];
      return resolved ? resolved : this.fail(path, `environment variable ${ref.env} is not set`);
    }
    if (typeof ref.file === 'string' && ref.env === undefined) {
      try {
        return fs.readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
      } catch {
        return this.fail(path, `cannot read file ${ref.file}`);
      }
    }
    return this.fail(path, 'must be a string, { "env": "NAME" } or { "file": "/path" }');
  }
}

/** Parses and validates a configuration document; throws ConfigError listing every problem. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv): ProxyConfig {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`not valid JSON: ${(error as Error).message}`]);
  }
  const r = new Reader(env);
  const root = r.object('$', json, ['server', 'healthCheck', 'pkcs11', 'health', 'proxy', 'reloadIntervalMs', 'keyStores']);
  if (!root) throw new ConfigError(r.problems);

  const config = {
    server: readServer(r, root.server),
    healthCheck: readHealthCheck(r, root.healthCheck, root.server),
    pkcs11: readPkcs11(r, root.pkcs11),
    health: readHealth(r, root.health),
    proxy: readProxy(r, root.proxy),
    reloadIntervalMs: r.integer('reloadIntervalMs', root.reloadIntervalMs, 0, 86_400_000, 30_000),
    keyStores: readKeyStores(r, root.keyStores),
  };
  if (config.server.port !== 0 && config.server.port === config.healthCheck.port) {
    r.fail('healthCheck.port', 'must differ from server.port (the health endpoint is plain HTTP)');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config as ProxyConfig;
}

function readServer(r: Reader, value: Json): ProxyConfig['server'] {
  const s = r.object('server', value, ['host', 'port', 'plainHttp', 'tls', 'maxConnections', 'requestTimeoutMs'], true) ?? {};
  const plainHttp = r.boolean('server.plainHttp', s.plainHttp, false);
  if (plainHttp === (s.tls !== undefined)) {
    r.fail('server', 'set exactly one of "tls" (production) or "plainHttp": true (local testing only)');
  }
  return {
    host: r.string('server.host', s.host, undefined, '0.0.0.0')!,
    port: r.integer('server.port', s.port, 0, 65535, 8443)!,
    plainHttp,
    tls: s.tls === undefined ? undefined : readTls(r, s.tls),
    maxConnections: r.integer('server.maxConnections', s.maxConnections, 1, 100_000, 1024)!,
    requestTimeoutMs: r.integer('server.requestTimeoutMs', s.requestTimeoutMs, 100, 600_000, 5000)!,
  };
}

function readTls(r: Reader, value: Json): TlsConfig | undefined {
  const t = r.object('server.tls', value, ['certificate', 'privateKey', 'minVersion', 'clientAuth']);
  if (!t) return undefined;
  const minVersion = r.string('server.tls.minVersion', t.minVersion, /^TLSv1\.[23]$/, 'TLSv1.2') as TlsConfig['minVersion'];
  let clientAuth: TlsConfig['clientAuth'];
  if (t.clientAuth !== undefined) {
    const c = r.object('server.tls.clientAuth', t.clientAuth, ['caCertificates', 'allowedCommonNames']);
    if (c) {
      clientAuth = {
        caCertificates: r.secret('server.tls.clientAuth.caCertificates', c.caCertificates)!,
        allowedCommonNames: r.strings('server.tls.clientAuth.allowedCommonNames', c.allowedCommonNames, 1, 100),
      };
    }
  }
  return {
    certificate: r.secret('server.tls.certificate', t.certificate)!,
    privateKey: r.secret('server.tls.privateKey', t.privateKey)!,
    minVersion,
    clientAuth,
  };
}

function readHealthCheck(r: Reader, value: Json, server: Json): ProxyConfig['healthCheck'] {
  const h = r.object('healthCheck', value, ['host', 'port', 'path'], true) ?? {};
  const serverHost = typeof server === 'object' && server !== null ? (server as Record<string, Json>).host : undefined;
  return {
    host: r.string('healthCheck.host', h.host ?? serverHost, undefined, '0.0.0.0')!,
    port: r.integer('healthCheck.port', h.port, 0, 65535, 8080)!,
    path: r.string('healthCheck.path', h.path, /^\/[A-Za-z0-9/_.-]*$/, '/healthz')!,
  };
}

function readPkcs11(r: Reader, value: Json): ProxyConfig['pkcs11'] {
  const p = r.object('pkcs11', value, [
    'library', 'tokenLabel', 'pin', 'sessionPoolSize', 'acquireTimeoutMs', 'operationTimeoutMs', 'healthKeyLabel', 'vendor', 'model',
  ]) ?? {};
  const library = r.string('pkcs11.library', p.library);
  if (library !== undefined && !fs.existsSync(library)) r.fail('pkcs11.library', `file ${library} does not exist`);
  return {
    library: library!,
    tokenLabel: r.string('pkcs11.tokenLabel', p.tokenLabel, /^.{1,32}$/)!,
    pin: r.secret('pkcs11.pin', p.pin)!,
    sessionPoolSize: r.integer('pkcs11.sessionPoolSize', p.sessionPoolSize, 1, 256, 8)!,
    acquireTimeoutMs: r.integer('pkcs11.acquireTimeoutMs', p.acquireTimeoutMs, 1, 60_000, DEFAULT_ACQUIRE_TIMEOUT_MS)!,
    operationTimeoutMs: r.integer('pkcs11.operationTimeoutMs', p.operationTimeoutMs, 1, 60_000, DEFAULT_OPERATION_TIMEOUT_MS)!,
    healthKeyLabel: r.string('pkcs11.healthKeyLabel', p.healthKeyLabel, EXTERNAL_KEY_ID)!,
    vendor: r.optionalString('pkcs11.vendor', p.vendor),
    model: r.optionalString('pkcs11.model', p.model),
  };
}

function readHealth(r: Reader, value: Json): ProxyConfig['health'] {
  const h = r.object('health', value, ['cacheMs', 'degradedLatencyMs'], true) ?? {};
  return {
    cacheMs: r.integer('health.cacheMs', h.cacheMs, 0, 60_000, 5000)!,
    degradedLatencyMs: r.integer('health.degradedLatencyMs', h.degradedLatencyMs, 1, 60_000, 100)!,
  };
}

function readProxy(r: Reader, value: Json): ProxyConfig['proxy'] {
  const p = r.object('proxy', value, ['vendor', 'fleetSize'], true) ?? {};
  return {
    vendor: r.string('proxy.vendor', p.vendor, /^[\x20-\x7e]{1,100}$/, 'cdk-kms-patterns')!,
    fleetSize: r.integer('proxy.fleetSize', p.fleetSize, 1, 10_000, 1)!,
  };
}

function readKeyStores(r: Reader, value: Json): KeyStoreConfig[] {
  const stores = (r.array('keyStores', value, 1, 50) ?? []).map((store, i) => readKeyStore(r, `keyStores[${i}]`, store));
  const seenPrefixes = new Set<string>();
  const seenAccessKeys = new Set<string>();
  stores.forEach((store, i) => {
    if (seenPrefixes.has(store.uriPathPrefix)) r.fail(`keyStores[${i}].uriPathPrefix`, `"${store.uriPathPrefix}" is used twice`);
    seenPrefixes.add(store.uriPathPrefix);
    store.credentials.forEach((credential, j) => {
      // An access key id must identify one secret; reusing one across prefixes would blur the isolation.
      if (seenAccessKeys.has(credential.accessKeyId)) r.fail(`keyStores[${i}].credentials[${j}].accessKeyId`, 'is used twice');
      seenAccessKeys.add(credential.accessKeyId);
    });
  });
  return stores;
}

function readKeyStore(r: Reader, path: string, value: Json): KeyStoreConfig {
  const s = r.object(path, value, ['uriPathPrefix', 'region', 'credentials', 'keys', 'disabledKeys', 'quota', 'authorization']) ?? {};
  const uriPathPrefix = r.string(`${path}.uriPathPrefix`, s.uriPathPrefix, URI_PATH_PREFIX) ?? '';
  if (uriPathPrefix.length + API_SUFFIX.length > 128) r.fail(`${path}.uriPathPrefix`, 'makes XksProxyUriPath longer than 128 characters');
  const credentials = (r.array(`${path}.credentials`, s.credentials, 1, 2) ?? []).map((c, j) => readCredential(r, `${path}.credentials[${j}]`, c));
  const keys = r.strings(`${path}.keys`, s.keys, 1, 10_000, EXTERNAL_KEY_ID);
  const disabledKeys = r.strings(`${path}.disabledKeys`, s.disabledKeys, 0, 10_000, EXTERNAL_KEY_ID, []);
  for (const key of disabledKeys) {
    if (!keys.includes(key)) r.fail(`${path}.disabledKeys`, `"${key}" is not in keys`);
  }
  return {
    uriPathPrefix,
    region: r.string(`${path}.region`, s.region, REGION) ?? '',
    credentials: credentials.filter((c): c is Credential => c !== undefined),
    keys: new Set(keys),
    disabledKeys: new Set(disabledKeys),
    quota: s.quota === undefined ? undefined : readQuota(r, `${path}.quota`, s.quota),
    authorizationRules: s.authorization === undefined ? undefined : readAuthorization(r, `${path}.authorization`, s.authorization),
  };
}

function readCredential(r: Reader, path: string, value: Json): Credential | undefined {
  const c = r.object(path, value, ['accessKeyId', 'secretAccessKey']);
  if (!c) return undefined;
  const accessKeyId = r.secret(`${path}.accessKeyId`, c.accessKeyId, ACCESS_KEY_ID);
  const secretAccessKey = r.secret(`${path}.secretAccessKey`, c.secretAccessKey, SECRET_ACCESS_KEY);
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

function readQuota(r: Reader, path: string, value: Json): KeyStoreConfig['quota'] {
  const q = r.object(path, value, ['requestsPerSecond', 'burst']) ?? {};
  const requestsPerSecond = r.integer(`${path}.requestsPerSecond`, q.requestsPerSecond, 1, 1_000_000) ?? 1;
  return { requestsPerSecond, burst: r.integer(`${path}.burst`, q.burst, 1, 10_000_000, requestsPerSecond)! };
}

function readAuthorization(r: Reader, path: string, value: Json): AuthorizationRule[] {
  const a = r.object(path, value, ['rules']) ?? {};
  return (r.array(`${path}.rules`, a.rules, 1, 1000) ?? []).map((rule, i) => {
    const fields = r.object(`${path}.rules[${i}]`, rule, AUTHORIZATION_FIELDS) ?? {};
    if (Object.keys(fields).length === 0) r.fail(`${path}.rules[${i}]`, 'must name at least one field (an empty rule would allow everything)');
    return Object.fromEntries(Object.entries(fields).map(([field, patterns]) =>
      [field, r.strings(`${path}.rules[${i}].${field}`, patterns, 1, 1000)]));
  });
}
