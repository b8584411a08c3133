/**
 * The proxy's HTTP(S) servers: the XKS API (routing, SigV4, quotas, secondary authorization,
 * operations, access logs) and the plain-HTTP load-balancer health endpoint. Key stores are
 * reloaded from the configuration without a restart.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Authorizer } from './authorization';
import { ConfigSource, KeyStoreConfig, parseConfig, ProxyConfig, readConfigSource } from './config';
import { XksError } from './errors';
import { HealthMonitor } from './health';
import { Hsm } from './hsm';
import { Logger } from './log';
import { decrypt, encrypt, getKeyMetadata, RequestBody } from './operations';
import { TokenBucket } from './quota';
import { route, Route } from './routes';
import { verifySigV4 } from './sigv4';

export const PROXY_MODEL = 'cdk-kms-patterns XKS proxy 1.0';
const MAX_BODY_BYTES = 64 * 1024;
const KEEP_ALIVE_MS = 120_000;
/** How often Node checks requestTimeout; its default (30 s) would let a slow request overstay by that much. */
const TIMEOUT_CHECK_INTERVAL_MS = 250;

export interface RunningProxy {
  readonly apiPort: number;
  readonly healthPort: number;
  readonly hsm: Hsm;
  /** Re-reads the configuration file and applies key-store changes; false when it was rejected. */
  reload(): boolean;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** The configuration's origin, re-read by reload(). */
  readonly source?: ConfigSource;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
}

/** Per key store: its configuration, authorizer and request quota. */
interface KeyStoreState {
  readonly stores: ReadonlyMap<string, KeyStoreConfig>;
  readonly authorizers: ReadonlyMap<string, Authorizer>;
  readonly buckets: ReadonlyMap<string, TokenBucket>;
}

function buildState(keyStores: readonly KeyStoreConfig[], previous?: KeyStoreState): KeyStoreState {
  const stores = new Map(keyStores.map((s) => [s.uriPathPrefix, s]));
  const authorizers = new Map<string, Authorizer>();
  const buckets = new Map<string, TokenBucket>();
  for (const store of keyStores) {
    if (store.authorizationRules) authorizers.set(store.uriPathPrefix, new Authorizer(store.authorizationRules));
    if (store.quota) {
      const old = previous?.stores.get(store.uriPathPrefix)?.quota;
      const unchanged = old && old.requestsPerSecond === store.quota.requestsPerSecond && old.burst === store.quota.burst;
      const kept = unchanged ? previous?.buckets.get(store.uriPathPrefix) : undefined;
      buckets.set(store.uriPathPrefix, kept ?? new TokenBucket(store.quota.requestsPerSecond, store.quota.burst));
    }
  }
  return { stores, authorizers, buckets };
}

/** Compares key-store configurations (in memory only: it contains the secrets). */
function fingerprint(keyStores: readonly KeyStoreConfig[]): string {
  return JSON.stringify(keyStores, (_, value: unknown) => (value instanceof Set ? [...value] : value));
}

class BodyTooLarge extends XksError {
  constructor() {
    super('ValidationException', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
}

/**
 * The client went away before its request was complete: it disconnected, or Node dropped the
 * request at requestTimeoutMs (answering 408 itself). Nothing is left to answer; it is an access-log
 * outcome, not an internal error.
 */
class RequestNotReceived extends Error {
  constructor(public readonly outcome: 'clientDisconnected' | 'requestTimeout') {
    super(outcome);
    this.name = 'RequestNotReceived';
  }
}

function readBody(req: http.IncomingMessage, requestTimeoutMs: number, started: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(new BodyTooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // 'error' follows 'aborted' when the connection closes mid-body; either way the request is gone.
    const gone = () => reject(new RequestNotReceived(performance.now() - started >= requestTimeoutMs - TIMEOUT_CHECK_INTERVAL_MS ? 'requestTimeout' : 'clientDisconnected'));
    req.on('aborted', gone);
    req.on('error', gone);
  });
}

function parseBody(raw: Buffer): RequestBody {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new XksError('ValidationException', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new XksError('ValidationException', 'the request body must be a JSON object');
  const metadata = (body as RequestBody).requestMetadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new XksError('ValidationException', 'requestMetadata is required');
  return body as RequestBody;
}

function requireStrings(metadata: RequestBody, names: readonly string[]): void {
  for (const name of names) {
    if (typeof metadata[name] !== 'string' || metadata[name] === '') throw new XksError('ValidationException', `requestMetadata.${name} is required`);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: object, extraHeaders: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** Starts the API and health servers, resolving once both listen. */
export async function startProxy(config: ProxyConfig, options: ProxyOptions = {}): Promise<RunningProxy> {
  const log = options.log ?? new Logger(process.env.XKS_LOG_LEVEL);
  const hsm = new Hsm(config.pkcs11);
  const health = new HealthMonitor(hsm, config.pkcs11.healthKeyLabel, config.health, log);
  let ekm: ReturnType<Hsm['describe']> | undefined;
  let state = buildState(config.keyStores);
  let activeFingerprint = fingerprint(config.keyStores);

  async function healthStatusResponse(): Promise<object> {
    const status = await health.status();
    try {
      ekm ??= hsm.describe();
    } catch {
      // The HSM cannot describe itself right now; report it as configured.
    }
    return {
      xksProxyFleetSize: config.proxy.fleetSize,
      xksProxyVendor: config.proxy.vendor,
      xksProxyModel: PROXY_MODEL,
      ekmVendor: ekm?.vendor ?? config.pkcs11.vendor ?? 'unknown',
      ekmFleetDetails: [{ id: ekm?.id || config.pkcs11.tokenLabel, model: ekm?.model ?? config.pkcs11.model ?? 'unknown', healthStatus: status }],
    };
  }

  async function dispatch(r: Route, body: RequestBody): Promise<object> {
    const keyId = r.externalKeyId!;
    const store = r.keyStore;
    if (!store.keys.has(keyId)) throw new XksError('KeyNotFoundException', `key ${keyId} is not served by this key store`);
    if (r.operation === 'GetKeyMetadata') return getKeyMetadata(hsm, keyId, store.disabledKeys.has(keyId));
    if (store.disabledKeys.has(keyId)) throw new XksError('InvalidStateException', `key ${keyId} is disabled`);
    return r.operation === 'Encrypt' ? encrypt(hsm, keyId, body) : decrypt(hsm, keyId, body);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const entry: Record<string, unknown> = {};
    let status = 200;
    try {
      const raw = await readBody(req, config.server.requestTimeoutMs, started);
      const r = route(req.url ?? '/', state.stores);
      Object.assign(entry, { keyStore: r.keyStore.uriPathPrefix, operation: r.operation, externalKeyId: r.externalKeyId });
      if (req.method !== 'POST') throw new XksError('ValidationException', 'XKS API calls must use POST', 405);
      verifySigV4({ method: req.method, url: req.url ?? '/', headers: req.headers, body: raw }, r.keyStore.credentials, r.keyStore.region);
      if (state.buckets.get(r.keyStore.uriPathPrefix)?.take() === false) throw new XksError('ThrottlingException', 'the request quota of this key store is exhausted');
      const body = parseBody(raw);
      const metadata = body.requestMetadata as RequestBody;
      Object.assign(entry, { principal: metadata.awsPrincipalArn, kmsOperation: metadata.kmsOperation, kmsRequestId: metadata.kmsRequestId });
      requireStrings(metadata, ['kmsRequestId', 'kmsOperation']);
      let response: object;
      if (r.operation === 'GetHealthStatus') {
        response = await healthStatusResponse();
      } else {
        requireStrings(metadata, r.operation === 'GetKeyMetadata' ? ['awsPrincipalArn'] : ['awsPrincipalArn', 'kmsKeyArn']);
        const rule = state.authorizers.get(r.keyStore.uriPathPrefix)?.match({ ...metadata, externalKeyId: r.externalKeyId });
        if (rule === -1) throw new XksError('AccessDeniedException', 'no authorization rule of this key store allows the request');
        if (rule !== undefined) entry.authorizationRule = rule;
        response = await dispatch(r, body);
      }
      sendJson(res, 200, response);
      entry.outcome = 'ok';
    } catch (caught) {
      if (caught instanceof RequestNotReceived) {
        log.info('access', { ...entry, outcome: caught.outcome, latencyMs: Math.round((performance.now() - started) * 100) / 100 });
        return;
      }
      const error = caught instanceof XksError ? caught : new XksError('InternalException', 'internal error');
      if (!(caught instanceof XksError)) log.error('internal', { reason: caught instanceof Error ? caught.message : String(caught) });
      status = error.status;
      Object.assign(entry, { outcome: 'error', errorName: error.errorName, errorMessage: error.message });
      sendJson(res, status, error.toBody(), status === 405 ? { Allow: 'POST' } : caught instanceof BodyTooLarge ? { Connection: 'close' } : {});
      if (caught instanceof BodyTooLarge) res.on('finish', () => req.destroy());
    }
    log.info('access', { ...entry, status, latencyMs: Math.round((performance.now() - started) * 100) / 100 });
  }

  async function handleHealth(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (path !== config.healthCheck.path) return sendJson(res, 404, { status: 'NOT_FOUND' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { status: 'METHOD_NOT_ALLOWED' }, { Allow: 'GET' });
    const healthStatus = await health.status();
    sendJson(res, healthStatus === 'UNAVAILABLE' ? 503 : 200, { status: healthStatus });
  }

  const apiServer = createApiServer(config, log, (req, res) => void handleApi(req, res));
  const healthServer = http.createServer((req, res) => void handleHealth(req, res));
  try {
    await listen(apiServer, config.server.port, config.server.host);
    await listen(healthServer, config.healthCheck.port, config.healthCheck.host);
  } catch (error) {
    apiServer.close();
    healthServer.close();
    hsm.close();
    throw error;
  }

  function reload(): boolean {
    if (!options.source?.file) return false;
    let next: ProxyConfig;
    try {
      next = parseConfig(readConfigSource(options.source.file, options.env ?? process.env).text, options.env ?? process.env);
    } catch (error) {
      log.error('config.reloadRejected', { reason: error instanceof Error ? error.message : String(error) });
      return false;
    }
    for (const section of ['server', 'healthCheck', 'pkcs11', 'health', 'proxy'] as const) {
      if (JSON.stringify(next[section]) !== JSON.stringify(config[section])) log.warn('config.restartRequired', { section });
    }
    const nextFingerprint = fingerprint(next.keyStores);
    if (nextFingerprint === activeFingerprint) return true;
    activeFingerprint = nextFingerprint;
    state = buildState(next.keyStores, state);
    log.info('config.reloaded', { keyStores: next.keyStores.map((s) => s.uriPathPrefix) });
    return true;
  }
  const reloadTimer = options.source?.file && config.reloadIntervalMs > 0 ? setInterval(reload, config.reloadIntervalMs).unref() : undefined;

  void checkKeys(hsm, config, log);
  const apiPort = (apiServer.address() as AddressInfo).port;
  const healthPort = (healthServer.address() as AddressInfo).port;
  log.info('started', { apiPort, healthPort, tls: !config.server.plainHttp, mutualTls: !!config.server.tls?.clientAuth, keyStores: config.keyStores.map((s) => s.uriPathPrefix) });

  return {
    apiPort,
    healthPort,
    hsm,
    reload,
    close: async () => {
      clearInterval(reloadTimer);
      await Promise.all([closeServer(apiServer), closeServer(healthServer)]);
      try {
        hsm.close();
      } catch {
        // Already finalized (tests break the HSM on purpose).
      }
    },
  };
}

/** Looks up every configured key once at start-up (warming the handle cache) and reports problems. */
async function checkKeys(hsm: Hsm, config: ProxyConfig, log: Logger): Promise<void> {
  const labels = new Set([config.pkcs11.healthKeyLabel, ...config.keyStores.flatMap((s) => [...s.keys])]);
  const problems: Record<string, string> = {};
  for (const label of labels) {
    try {
      const key = await hsm.keyInfo(label);
      if (!key.usage.includes('ENCRYPT') || !key.usage.includes('DECRYPT')) problems[label] = `usage is ${key.usage.join(',') || 'none'}`;
    } catch (error) {
      problems[label] = error instanceof XksError ? error.errorName : String(error);
    }
  }
  if (Object.keys(problems).length > 0) log.warn('startup.keyProblems', { problems });
  else log.info('startup.keysChecked', { keys: labels.size });
}

function createApiServer(config: ProxyConfig, log: Logger, handler: http.RequestListener): http.Server {
  const tls = config.server.tls;
  // requestTimeoutMs bounds a request from its first byte to its last, headers and body: Node
  // enforces it (answering 408 and closing) only with headersTimeout no longer than it and a check
  // interval well below it. Idle keep-alive connections are governed by keepAliveTimeout alone.
  const timeouts: http.ServerOptions = {
    requestTimeout: config.server.requestTimeoutMs,
    headersTimeout: config.server.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, config.server.requestTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_MS,
  };
  const server = tls
    ? https.createServer({
      ...timeouts,
      cert: tls.certificate,
      key: tls.privateKey,
      minVersion: tls.minVersion,
      requestCert: !!tls.clientAuth,
      rejectUnauthorized: !!tls.clientAuth,
      ca: tls.clientAuth?.caCertificates,
    }, handler)
    : http.createServer(timeouts, handler);
  if (tls?.clientAuth) {
    const allowed = new Set(tls.clientAuth.allowedCommonNames);
    server.on('secureConnection', (socket: TLSSocket) => {
      const commonName = socket.getPeerCertificate().subject?.CN;
      if (typeof commonName !== 'string' || !allowed.has(commonName)) {
        log.warn('tls.clientRejected', { commonName: typeof commonName === 'string' ? commonName : null, remoteAddress: socket.remoteAddress });
        socket.destroy();
      }
    });
  }
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.maxConnections = config.server.maxConnections;
  return server;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
