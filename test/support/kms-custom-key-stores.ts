/**
 * Custom key stores for the local KMS server (kms-server.ts), as real behaviour rather than canned
 * answers: Create / Describe / Connect / Disconnect / Update / Delete custom key stores, and keys
 * inside them (CreateKey with CustomKeyStoreId / XksKeyId, policy, tags, enable/disable, deletion).
 *
 * External key stores call a real XKS proxy over HTTP with SigV4 (service `kms-xks-proxy`), as KMS
 * does: GetHealthStatus when connecting (its outcome decides CONNECTED or FAILED with KMS's
 * ConnectionErrorCode), GetKeyMetadata on CreateKey, and the spec's Encrypt / Decrypt with
 * additional authenticated data under every Encrypt, Decrypt and GenerateDataKey. Like KMS, data is
 * encrypted twice: under key material held here, then under the external key in the HSM.
 *
 * Where KMS would reach the proxy through a VPC endpoint service or public DNS, this module looks
 * the proxy's real URL up in a table the test fills (`routeEndpointService`, `routePublicEndpoint`).
 * CloudHSM clusters cannot be run locally: `addCloudHsmCluster` describes how a cluster answers a
 * connection (CONNECTED, a ConnectionErrorCode, or never), and how many polls it takes.
 *
 * ListKeys lists the keys of custom key stores only.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
// The signer every AWS SDK request uses; a dependency of the SDK clients in devDependencies.
// eslint-disable-next-line import/no-extraneous-dependencies
import { SignatureV4 } from '@smithy/signature-v4';
import { KmsServerExtension } from './kms-server';

type StoreType = 'EXTERNAL_KEY_STORE' | 'AWS_CLOUDHSM';
type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'FAILED' | 'DISCONNECTED' | 'DISCONNECTING';

interface XksSettings {
  connectivity: 'VPC_ENDPOINT_SERVICE' | 'PUBLIC_ENDPOINT';
  uriEndpoint: string;
  uriPath: string;
  serviceName?: string;
  serviceOwner?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

interface Store {
  readonly id: string;
  readonly type: StoreType;
  readonly created: Date;
  name: string;
  state: ConnectionState;
  errorCode?: string;
  /** Describe calls left before a CloudHSM connection resolves. */
  pollsLeft: number;
  /** Bumped on every connect / disconnect, so a late health answer cannot change a newer state. */
  generation: number;
  xks?: XksSettings;
  hsm?: { clusterId: string; trustAnchor: string; password: string };
}

interface StoreKey {
  readonly keyId: string;
  readonly storeId: string;
  readonly secret: Buffer;
  readonly xksKeyId?: string;
  readonly created: Date;
  description: string;
  policy: string;
  tags: Map<string, string>;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  deletionDate?: Date;
}

/** How a simulated CloudHSM cluster answers a connection attempt. */
export interface CloudHsmClusterBehaviour {
  /** The PEM the cluster was initialized with (CreateCustomKeyStore must present it). */
  readonly trustAnchorCertificate: string;
  /** The current kmsuser password (a different one connects FAILED with INVALID_CREDENTIALS). */
  readonly kmsUserPassword: string;
  /** `CONNECTED`, a ConnectionErrorCode, or `NEVER` (stays CONNECTING). @default CONNECTED */
  outcome?: string;
  /** Describe calls that still see CONNECTING. @default 1 */
  connectingPolls?: number;
}

class Fault extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

/** A proxy's answer body, or the ConnectionErrorCode its failure means (and the spec's errorName). */
interface XksAnswer {
  readonly body?: unknown;
  readonly code?: string;
  readonly errorName?: string;
}

const BLOB_MAGIC = Buffer.from('LCKS');
const XKS_SERVICE = 'kms-xks-proxy';

export interface LocalCustomKeyStoresOptions {
  readonly region: string;
  readonly account: string;
  /** Time KMS allows the proxy per request. @default 250 (what KMS allows) */
  readonly xksTimeoutMs?: number;
}

export class LocalCustomKeyStores implements KmsServerExtension {
  readonly operations = [
    'CreateCustomKeyStore', 'DescribeCustomKeyStores', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore',
    'DeleteCustomKeyStore', 'CreateKey', 'DescribeKey', 'ListKeys', 'ListResourceTags', 'TagResource', 'UntagResource', 'PutKeyPolicy',
    'GetKeyPolicy', 'UpdateKeyDescription', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'Encrypt', 'Decrypt', 'GenerateDataKey',
  ] as const;

  /** Requests this module answered, per operation (XKS proxy calls under `xks:<operation>`). */
  readonly calls = new Map<string, number>();

  private readonly stores = new Map<string, Store>();
  private readonly keys = new Map<string, StoreKey>();
  private readonly endpointServices = new Map<string, string>();
  private readonly publicEndpoints = new Map<string, string>();
  private readonly clusters = new Map<string, CloudHsmClusterBehaviour>();
  private readonly pendingHealth = new Set<Promise<void>>();
  private readonly region: string;
  private readonly account: string;
  xksTimeoutMs: number;

  constructor(options: LocalCustomKeyStoresOptions) {
    this.region = options.region;
    this.account = options.account;
    this.xksTimeoutMs = options.xksTimeoutMs ?? 250;
  }

  /** KMS reaches the proxy behind this VPC endpoint service at `url` (e.g. http://127.0.0.1:port). */
  routeEndpointService(serviceName: string, url: string | undefined): void {
    if (url === undefined) this.endpointServices.delete(serviceName);
    else this.endpointServices.set(serviceName, url);
  }

  /** KMS reaches the proxy at this public `https://` endpoint through `url`. */
  routePublicEndpoint(uriEndpoint: string, url: string | undefined): void {
    if (url === undefined) this.publicEndpoints.delete(uriEndpoint);
    else this.publicEndpoints.set(uriEndpoint, url);
  }

  /** A CloudHSM cluster that stores can use; change `behaviour` later to model a cluster that changes. */
  addCloudHsmCluster(clusterId: string, behaviour: CloudHsmClusterBehaviour): CloudHsmClusterBehaviour {
    this.clusters.set(clusterId, behaviour);
    return behaviour;
  }

  /** Resolves when every connection attempt in flight has its outcome. */
  async settled(): Promise<void> {
    while (this.pendingHealth.size > 0) await Promise.all([...this.pendingHealth]);
  }

  /** A store's connection state, for assertions. */
  stateOf(storeId: string): { state: ConnectionState; errorCode?: string } | undefined {
    const store = this.stores.get(storeId);
    return store && { state: store.state, errorCode: store.errorCode };
  }

  async dispatch(operation: string, input: Record<string, unknown>): Promise<object | undefined> {
    const answer = await this.answer(operation, input);
    if (answer !== undefined) this.count(operation);
    return answer;
  }

  private count(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }

  private async answer(operation: string, input: Record<string, unknown>): Promise<object | undefined> {
    switch (operation) {
      case 'CreateCustomKeyStore': return this.createStore(input);
      case 'DescribeCustomKeyStores': return this.describeStores(input);
      case 'ConnectCustomKeyStore': return this.connect(this.store(input.CustomKeyStoreId));
      case 'DisconnectCustomKeyStore': return this.disconnect(this.store(input.CustomKeyStoreId));
      case 'UpdateCustomKeyStore': return this.updateStore(input);
      case 'DeleteCustomKeyStore': return this.deleteStore(this.store(input.CustomKeyStoreId));
      case 'CreateKey': return input.CustomKeyStoreId === undefined ? undefined : this.createKey(input);
      case 'ListKeys': return { Keys: [...this.keys.values()].map((k) => ({ KeyId: k.keyId, KeyArn: this.arn(k.keyId) })), Truncated: false };
      default: break;
    }
    // Operations on one key: answered here only for keys in custom key stores.
    if (operation === 'Decrypt') return this.decrypt(input);
    const key = this.ownKey(input.KeyId);
    if (!key) return undefined;
    switch (operation) {
      case 'DescribeKey': return { KeyMetadata: this.metadata(key) };
      case 'ListResourceTags': return { Tags: [...key.tags].map(([TagKey, TagValue]) => ({ TagKey, TagValue })), Truncated: false };
      case 'TagResource':
        for (const tag of input.Tags as Array<{ TagKey: string; TagValue: string }>) key.tags.set(tag.TagKey, tag.TagValue);
        return {};
      case 'UntagResource':
        for (const name of input.TagKeys as string[]) key.tags.delete(name);
        return {};
      case 'PutKeyPolicy':
        this.live(key);
        key.policy = policyText(input.Policy);
        return {};
      case 'GetKeyPolicy': return { Policy: key.policy, PolicyName: 'default' };
      case 'UpdateKeyDescription':
        this.live(key);
        key.description = String(input.Description ?? '');
        return {};
      case 'EnableKey':
      case 'DisableKey':
        this.live(key);
        key.state = operation === 'EnableKey' ? 'Enabled' : 'Disabled';
        return {};
      case 'ScheduleKeyDeletion': return this.scheduleDeletion(key, input);
      case 'Encrypt': return this.encrypt(key, input);
      case 'GenerateDataKey': return this.generateDataKey(key, input);
      default: return undefined;
    }
  }

  // ---- stores ----

  private async createStore(input: Record<string, unknown>): Promise<object> {
    const name = requiredString(input.CustomKeyStoreName, 'CustomKeyStoreName');
    if ([...this.stores.values()].some((s) => s.name === name)) throw new Fault('CustomKeyStoreNameInUseException', `A custom key store named ${name} exists`);
    const type = (input.CustomKeyStoreType ?? 'AWS_CLOUDHSM') as StoreType;
    const store: Store = { id: `cks-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`, type, created: new Date(), name, state: 'DISCONNECTED', pollsLeft: 0, generation: 0 };
    if (type === 'EXTERNAL_KEY_STORE') {
      store.xks = this.xksSettings(input, undefined);
      this.checkXksUnique(store.id, store.xks);
      await this.checkXksAtCreate(store.xks);
    } else if (type === 'AWS_CLOUDHSM') {
      const clusterId = requiredString(input.CloudHsmClusterId, 'CloudHsmClusterId');
      const cluster = this.clusters.get(clusterId);
      if (!cluster) throw new Fault('CloudHsmClusterNotFoundException', `No CloudHSM cluster ${clusterId}`);
      if ([...this.stores.values()].some((s) => s.hsm?.clusterId === clusterId)) throw new Fault('CloudHsmClusterInUseException', `${clusterId} is in use`);
      const trustAnchor = requiredString(input.TrustAnchorCertificate, 'TrustAnchorCertificate');
      if (trustAnchor.trim() !== cluster.trustAnchorCertificate.trim()) throw new Fault('IncorrectTrustAnchorException', 'The trust anchor does not match the cluster');
      store.hsm = { clusterId, trustAnchor, password: requiredString(input.KeyStorePassword, 'KeyStorePassword') };
    } else {
      throw new Fault('ValidationException', `Unknown CustomKeyStoreType ${String(type)}`);
    }
    this.stores.set(store.id, store);
    return { CustomKeyStoreId: store.id };
  }

  private describeStores(input: Record<string, unknown>): object {
    let stores = [...this.stores.values()];
    if (input.CustomKeyStoreId !== undefined) stores = [this.store(input.CustomKeyStoreId)];
    if (input.CustomKeyStoreName !== undefined) {
      stores = stores.filter((s) => s.name === input.CustomKeyStoreName);
      if (stores.length === 0) throw new Fault('CustomKeyStoreNotFoundException', `No custom key store named ${String(input.CustomKeyStoreName)}`);
    }
    for (const store of stores) this.advanceCloudHsm(store);
    return { CustomKeyStores: stores.map((s) => this.entry(s)), Truncated: false };
  }

  private entry(store: Store): object {
    return {
      CustomKeyStoreId: store.id,
      CustomKeyStoreName: store.name,
      CustomKeyStoreType: store.type,
      ConnectionState: store.state,
      ConnectionErrorCode: store.state === 'FAILED' ? store.errorCode : undefined,
      CreationDate: store.created.getTime() / 1000,
      CloudHsmClusterId: store.hsm?.clusterId,
      TrustAnchorCertificate: store.hsm?.trustAnchor,
      XksProxyConfiguration: store.xks && {
        Connectivity: store.xks.connectivity,
        AccessKeyId: store.xks.accessKeyId,
        UriEndpoint: store.xks.uriEndpoint,
        UriPath: store.xks.uriPath,
        VpcEndpointServiceName: store.xks.serviceName,
        VpcEndpointServiceOwner: store.xks.serviceOwner,
      },
    };
  }

  private connect(store: Store): object {
    if (store.state !== 'DISCONNECTED') {
      throw new Fault('CustomKeyStoreInvalidStateException', `${store.id} is ${store.state}; a store connects only from DISCONNECTED (disconnect a FAILED store first)`);
    }
    store.state = 'CONNECTING';
    store.errorCode = undefined;
    const generation = ++store.generation;
    if (store.type === 'AWS_CLOUDHSM') {
      const cluster = this.clusters.get(store.hsm!.clusterId);
      store.pollsLeft = cluster?.connectingPolls ?? 1;
      return {};
    }
    // KMS checks the proxy's health in the background; ConnectCustomKeyStore answers at once.
    const check = this.xksHealth(store.xks!).then((code) => {
      if (store.generation !== generation || store.state !== 'CONNECTING') return;
      store.state = code === undefined ? 'CONNECTED' : 'FAILED';
      store.errorCode = code;
    });
    this.pendingHealth.add(check);
    void check.finally(() => this.pendingHealth.delete(check));
    return {};
  }

  /** A CloudHSM connection resolves after its cluster's number of polls. */
  private advanceCloudHsm(store: Store): void {
    if (store.type !== 'AWS_CLOUDHSM' || store.state !== 'CONNECTING') return;
    const cluster = this.clusters.get(store.hsm!.clusterId);
    if (cluster?.outcome === 'NEVER') return;
    if (store.pollsLeft-- > 0) return;
    const code = !cluster ? 'CLUSTER_NOT_FOUND'
      : cluster.kmsUserPassword !== store.hsm!.password ? 'INVALID_CREDENTIALS'
        : cluster.outcome && cluster.outcome !== 'CONNECTED' ? cluster.outcome : undefined;
    store.state = code === undefined ? 'CONNECTED' : 'FAILED';
    store.errorCode = code;
  }

  private disconnect(store: Store): object {
    if (store.state === 'DISCONNECTED') throw new Fault('CustomKeyStoreInvalidStateException', `${store.id} is already DISCONNECTED`);
    store.generation++;
    store.state = 'DISCONNECTED';
    store.errorCode = undefined;
    return {};
  }

  private async updateStore(input: Record<string, unknown>): Promise<object> {
    const store = this.store(input.CustomKeyStoreId);
    const newName = input.NewCustomKeyStoreName as string | undefined;
    const connectionFields = Object.keys(input).filter((k) => !['CustomKeyStoreId', 'NewCustomKeyStoreName', 'XksProxyAuthenticationCredential'].includes(k));
    const disconnectedOnly = connectionFields.length > 0 || (store.type === 'AWS_CLOUDHSM' && input.KeyStorePassword !== undefined);
    if (disconnectedOnly && store.state !== 'DISCONNECTED') {
      throw new Fault('CustomKeyStoreInvalidStateException', `${store.id} must be DISCONNECTED to change ${connectionFields.join(', ')}`);
    }
    if (newName !== undefined) {
      if ([...this.stores.values()].some((s) => s !== store && s.name === newName)) throw new Fault('CustomKeyStoreNameInUseException', `A custom key store named ${newName} exists`);
    }
    if (store.type === 'EXTERNAL_KEY_STORE') {
      const next = this.xksSettings(input, store.xks);
      this.checkXksUnique(store.id, next);
      store.xks = next;
    } else {
      const clusterId = (input.CloudHsmClusterId as string | undefined) ?? store.hsm!.clusterId;
      if (!this.clusters.has(clusterId)) throw new Fault('CloudHsmClusterNotFoundException', `No CloudHSM cluster ${clusterId}`);
      store.hsm = { ...store.hsm!, clusterId, password: (input.KeyStorePassword as string | undefined) ?? store.hsm!.password };
    }
    if (newName !== undefined) store.name = newName;
    return {};
  }

  private deleteStore(store: Store): object {
    if (store.state !== 'DISCONNECTED') throw new Fault('CustomKeyStoreInvalidStateException', `${store.id} must be DISCONNECTED to be deleted`);
    if ([...this.keys.values()].some((k) => k.storeId === store.id)) throw new Fault('CustomKeyStoreHasCMKsException', `${store.id} holds KMS keys`);
    this.stores.delete(store.id);
    return {};
  }

  private store(id: unknown): Store {
    const store = typeof id === 'string' ? this.stores.get(id) : undefined;
    if (!store) throw new Fault('CustomKeyStoreNotFoundException', `No custom key store ${String(id)}`);
    return store;
  }

  private xksSettings(input: Record<string, unknown>, current: XksSettings | undefined): XksSettings {
    const credential = input.XksProxyAuthenticationCredential as { AccessKeyId?: string; RawSecretAccessKey?: string } | undefined;
    const settings: XksSettings = {
      connectivity: (input.XksProxyConnectivity ?? current?.connectivity ?? 'PUBLIC_ENDPOINT') as XksSettings['connectivity'],
      uriEndpoint: String(input.XksProxyUriEndpoint ?? current?.uriEndpoint ?? ''),
      uriPath: String(input.XksProxyUriPath ?? current?.uriPath ?? ''),
      serviceName: (input.XksProxyVpcEndpointServiceName as string | undefined) ?? current?.serviceName,
      serviceOwner: (input.XksProxyVpcEndpointServiceOwner as string | undefined) ?? current?.serviceOwner,
      accessKeyId: credential?.AccessKeyId ?? current?.accessKeyId ?? '',
      secretAccessKey: credential?.RawSecretAccessKey ?? current?.secretAccessKey ?? '',
    };
    if (!/^https:\/\/[a-zA-Z0-9.-]+$/.test(settings.uriEndpoint)) throw new Fault('ValidationException', 'XksProxyUriEndpoint must be https:// and a host name');
    if (!/^(\/[a-zA-Z0-9_-]+)*\/kms\/xks\/v1$/.test(settings.uriPath)) throw new Fault('ValidationException', 'XksProxyUriPath must end in /kms/xks/v1');
    if (settings.connectivity === 'VPC_ENDPOINT_SERVICE' && !settings.serviceName) {
      throw new Fault('ValidationException', 'XksProxyVpcEndpointServiceName is required for VPC_ENDPOINT_SERVICE connectivity');
    }
    if (!/^[A-Z2-7]{20,30}$/.test(settings.accessKeyId) || !/^[A-Za-z0-9+/=]{43,64}$/.test(settings.secretAccessKey)) {
      throw new Fault('ValidationException', 'XksProxyAuthenticationCredential is not in the XKS format');
    }
    return settings;
  }

  private checkXksUnique(id: string, settings: XksSettings): void {
    for (const other of this.stores.values()) {
      if (other.id === id || !other.xks) continue;
      if (settings.serviceName && other.xks.serviceName === settings.serviceName) {
        throw new Fault('XksProxyVpcEndpointServiceInUseException', `${settings.serviceName} is used by ${other.id}`);
      }
      if (other.xks.uriEndpoint === settings.uriEndpoint && other.xks.uriPath === settings.uriPath) {
        throw new Fault('XksProxyUriInUseException', `${settings.uriEndpoint}${settings.uriPath} is used by ${other.id}`);
      }
    }
  }

  /** What KMS checks when an external key store is created. */
  private async checkXksAtCreate(settings: XksSettings): Promise<void> {
    if (settings.connectivity === 'VPC_ENDPOINT_SERVICE') {
      // The VPC endpoint is made at connect time; at create KMS checks the service exists.
      if (!this.endpointServices.has(settings.serviceName!)) throw new Fault('XksProxyVpcEndpointServiceNotFoundException', `No VPC endpoint service ${settings.serviceName}`);
      return;
    }
    const code = await this.xksHealth(settings);
    const faults: Record<string, string> = {
      INVALID_CREDENTIALS: 'XksProxyIncorrectAuthenticationCredentialException',
      XKS_PROXY_INVALID_CONFIGURATION: 'XksProxyInvalidConfigurationException',
      XKS_PROXY_INVALID_RESPONSE: 'XksProxyInvalidResponseException',
    };
    if (code !== undefined) throw new Fault(faults[code] ?? 'XksProxyUriUnreachableException', `The XKS proxy failed its health check (${code})`);
  }

  // ---- the XKS proxy ----

  /** GetHealthStatus, and the ConnectionErrorCode its outcome means (undefined: healthy). */
  private async xksHealth(settings: XksSettings): Promise<string | undefined> {
    const target = this.proxyUrl(settings);
    if (target.code) return target.code;
    const answer = await this.xksCall(settings, target.url!, `${settings.uriPath}/health`, { requestMetadata: { kmsRequestId: crypto.randomUUID(), kmsOperation: 'ConnectCustomKeyStore' } }, 'GetHealthStatus');
    if (answer.code) return answer.code;
    const fleet = (answer.body as { ekmFleetDetails?: Array<{ healthStatus?: string }> }).ekmFleetDetails;
    if (!Array.isArray(fleet) || fleet.length === 0) return 'XKS_PROXY_INVALID_RESPONSE';
    if (fleet.every((ekm) => ekm.healthStatus === 'UNAVAILABLE')) return 'XKS_PROXY_NOT_REACHABLE';
    return undefined;
  }

  private proxyUrl(settings: XksSettings): { url?: string; code?: string } {
    if (settings.connectivity === 'VPC_ENDPOINT_SERVICE') {
      const url = this.endpointServices.get(settings.serviceName!);
      return url ? { url } : { code: 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND' };
    }
    const url = this.publicEndpoints.get(settings.uriEndpoint);
    return url ? { url } : { code: 'XKS_PROXY_NOT_REACHABLE' };
  }

  /** One signed XKS call: the body on 200, else the ConnectionErrorCode of the failure. */
  private async xksCall(settings: XksSettings, base: string, path: string, body: object, operation: string): Promise<XksAnswer> {
    this.count(`xks:${operation}`);
    const url = new URL(path, base);
    const text = JSON.stringify(body);
    // KMS signs for the host name of XksProxyUriEndpoint, whatever address it connects to.
    const host = new URL(settings.uriEndpoint).host;
    const signer = new SignatureV4({
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      region: this.region,
      service: XKS_SERVICE,
      sha256: Sha256,
    });
    const signed = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: host, path: url.pathname, headers: { 'host': host, 'content-type': 'application/json' }, body: text });
    let response: { status: number; text: string };
    try {
      response = await post(url, signed.headers as Record<string, string>, text, this.xksTimeoutMs);
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      if (code === 'TIMEOUT') return { code: 'XKS_PROXY_TIMED_OUT' };
      if (/CERT|TLS|SSL/.test(code)) return { code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION' };
      return { code: 'XKS_PROXY_NOT_REACHABLE' };
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      return { code: 'XKS_PROXY_INVALID_RESPONSE' };
    }
    if (response.status === 200) return { body: json };
    const errorName = String((json as { errorName?: unknown })?.errorName ?? '');
    const codes: Record<number, string> = { 401: 'INVALID_CREDENTIALS', 403: 'XKS_PROXY_ACCESS_DENIED', 404: 'XKS_PROXY_INVALID_CONFIGURATION', 503: 'XKS_PROXY_TIMED_OUT' };
    const code = errorName === 'KeyNotFoundException' ? 'KEY_NOT_FOUND' : codes[response.status] ?? 'XKS_PROXY_INVALID_RESPONSE';
    return { code, errorName };
  }

  /** An XKS key operation; a failure is KMSInvalidStateException with the reason, as KMS answers it. */
  private async xksKeyCall(key: StoreKey, operation: 'Encrypt' | 'Decrypt', body: object): Promise<Record<string, string>> {
    const store = this.stores.get(key.storeId)!;
    const target = this.proxyUrl(store.xks!);
    if (target.code) throw new Fault('KMSInvalidStateException', `The external key store proxy is unreachable (${target.code})`);
    const path = `${store.xks!.uriPath}/keys/${encodeURIComponent(key.xksKeyId!)}/${operation.toLowerCase()}`;
    const answer = await this.xksCall(store.xks!, target.url!, path, body, operation);
    if (answer.code) {
      if (operation === 'Decrypt' && answer.errorName === 'InvalidCiphertextException') throw new Fault('InvalidCiphertextException', 'The ciphertext is invalid');
      throw new Fault('KMSInvalidStateException', `The external key store proxy rejected the request (${answer.errorName || answer.code})`);
    }
    return answer.body as Record<string, string>;
  }

  private requestMetadata(key: StoreKey, operation: string): Record<string, string> {
    return { awsPrincipalArn: `arn:aws:iam::${this.account}:role/local-caller`, kmsKeyArn: this.arn(key.keyId), kmsOperation: operation, kmsRequestId: crypto.randomUUID() };
  }

  // ---- keys ----

  private async createKey(input: Record<string, unknown>): Promise<object> {
    const store = this.store(input.CustomKeyStoreId);
    if (store.state !== 'CONNECTED') throw new Fault('CustomKeyStoreInvalidStateException', `${store.id} is ${store.state}; keys are created only in a CONNECTED store`);
    if ((input.Origin ?? 'AWS_KMS') !== store.type) throw new Fault('ValidationException', `Origin must be ${store.type} for a key in ${store.id}`);
    if ((input.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT' || (input.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT' || input.MultiRegion === true) {
      throw new Fault('UnsupportedOperationException', 'Custom key stores hold only single-Region symmetric encryption keys');
    }
    const xksKeyId = input.XksKeyId as string | undefined;
    if (store.type === 'EXTERNAL_KEY_STORE') {
      if (!xksKeyId) throw new Fault('ValidationException', 'XksKeyId is required for a key in an external key store');
      if ([...this.keys.values()].some((k) => k.storeId === store.id && k.xksKeyId === xksKeyId)) throw new Fault('XksKeyAlreadyInUseException', `${xksKeyId} backs another KMS key`);
      const target = this.proxyUrl(store.xks!);
      const answer = target.url
        ? await this.xksCall(store.xks!, target.url, `${store.xks!.uriPath}/keys/${encodeURIComponent(xksKeyId)}/metadata`, { requestMetadata: { ...this.requestMetadata({ keyId: 'pending' } as StoreKey, 'CreateKey'), kmsKeyArn: undefined } }, 'GetKeyMetadata')
        : { code: target.code };
      if (answer.code === 'KEY_NOT_FOUND') throw new Fault('XksKeyNotFoundException', `The proxy has no key ${xksKeyId}`);
      if (answer.code) throw new Fault('CustomKeyStoreInvalidStateException', `The external key store proxy failed (${answer.code})`);
      const meta = answer.body as { keySpec?: string; keyUsage?: string[]; keyStatus?: string };
      if (meta.keySpec !== 'AES_256' || !meta.keyUsage?.includes('ENCRYPT') || !meta.keyUsage?.includes('DECRYPT') || meta.keyStatus !== 'ENABLED') {
        throw new Fault('XksKeyInvalidConfigurationException', `${xksKeyId} is not an enabled AES-256 encrypt/decrypt key`);
      }
    } else if (xksKeyId !== undefined) {
      throw new Fault('ValidationException', 'XksKeyId is only for external key stores');
    }
    const key: StoreKey = {
      keyId: crypto.randomUUID(),
      storeId: store.id,
      secret: crypto.randomBytes(32),
      xksKeyId,
      created: new Date(),
      description: String(input.Description ?? ''),
      policy: input.Policy === undefined ? '{}' : policyText(input.Policy),
      tags: new Map((input.Tags as Array<{ TagKey: string; TagValue: string }> | undefined ?? []).map((t) => [t.TagKey, t.TagValue])),
      state: 'Enabled',
    };
    this.keys.set(key.keyId, key);
    return { KeyMetadata: this.metadata(key) };
  }

  private metadata(key: StoreKey): object {
    const store = this.stores.get(key.storeId);
    return {
      AWSAccountId: this.account,
      KeyId: key.keyId,
      Arn: this.arn(key.keyId),
      CreationDate: key.created.getTime() / 1000,
      Enabled: key.state === 'Enabled',
      KeyState: key.state,
      DeletionDate: key.deletionDate && key.deletionDate.getTime() / 1000,
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyManager: 'CUSTOMER',
      Origin: store?.type ?? 'EXTERNAL_KEY_STORE',
      CustomKeyStoreId: key.storeId,
      CloudHsmClusterId: store?.hsm?.clusterId,
      XksKeyConfiguration: key.xksKeyId ? { Id: key.xksKeyId } : undefined,
      MultiRegion: false,
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    };
  }

  private scheduleDeletion(key: StoreKey, input: Record<string, unknown>): object {
    if (key.state === 'PendingDeletion') throw new Fault('KMSInvalidStateException', `${this.arn(key.keyId)} is pending deletion.`);
    const days = Number(input.PendingWindowInDays ?? 30);
    if (!Number.isInteger(days) || days < 7 || days > 30) throw new Fault('ValidationException', 'PendingWindowInDays must be 7 to 30');
    key.state = 'PendingDeletion';
    key.deletionDate = new Date(Date.now() + days * 86_400_000);
    return { KeyId: this.arn(key.keyId), DeletionDate: key.deletionDate.getTime() / 1000, KeyState: key.state, PendingWindowInDays: days };
  }

  /** Usable for cryptography: enabled, in a CONNECTED store. */
  private usable(key: StoreKey): Store {
    if (key.state !== 'Enabled') throw new Fault(key.state === 'Disabled' ? 'DisabledException' : 'KMSInvalidStateException', `${this.arn(key.keyId)} is ${key.state}`);
    const store = this.stores.get(key.storeId)!;
    if (store.state !== 'CONNECTED') throw new Fault('KMSInvalidStateException', `${this.arn(key.keyId)} is unavailable: its custom key store is ${store.state}`);
    return store;
  }

  private live(key: StoreKey): void {
    if (key.state === 'PendingDeletion') throw new Fault('KMSInvalidStateException', `${this.arn(key.keyId)} is pending deletion.`);
  }

  private async encrypt(key: StoreKey, input: Record<string, unknown>): Promise<object> {
    const plaintext = Buffer.from(String(input.Plaintext ?? ''), 'base64');
    if (plaintext.length === 0 || plaintext.length > 4096) throw new Fault('ValidationException', 'Plaintext must be 1 to 4096 bytes');
    const blob = await this.seal(key, plaintext, contextOf(input.EncryptionContext));
    return { KeyId: this.arn(key.keyId), CiphertextBlob: blob.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  private async generateDataKey(key: StoreKey, input: Record<string, unknown>): Promise<object> {
    const size = typeof input.NumberOfBytes === 'number' ? input.NumberOfBytes : input.KeySpec === 'AES_128' ? 16 : 32;
    const plaintext = crypto.randomBytes(size);
    const blob = await this.seal(key, plaintext, contextOf(input.EncryptionContext));
    return { KeyId: this.arn(key.keyId), Plaintext: plaintext.toString('base64'), CiphertextBlob: blob.toString('base64') };
  }

  private async decrypt(input: Record<string, unknown>): Promise<object | undefined> {
    const blob = Buffer.from(String(input.CiphertextBlob ?? ''), 'base64');
    if (!blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)) return undefined; // not ours
    const idLength = blob[BLOB_MAGIC.length];
    const keyId = blob.subarray(BLOB_MAGIC.length + 1, BLOB_MAGIC.length + 1 + idLength).toString();
    const key = this.keys.get(keyId);
    if (!key) throw new Fault('InvalidCiphertextException', 'The ciphertext is invalid');
    if (input.KeyId !== undefined && this.ownKey(input.KeyId) !== key) throw new Fault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext');
    const plaintext = await this.open(key, blob.subarray(BLOB_MAGIC.length + 1 + idLength), contextOf(input.EncryptionContext));
    return { KeyId: this.arn(key.keyId), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  /**
   * Blob: magic | key id length | key id | inner iv (12) | inner tag (16) | then for XKS keys: outer iv length | outer iv |
   * outer tag (16) | ciphertextMetadata length | ciphertextMetadata | ciphertext.
   * Inner: AES-256-GCM under key material held here. Outer (XKS keys): the proxy's HSM, with the
   * encryption context's digest as the spec's additionalAuthenticatedData.
   */
  private async seal(key: StoreKey, plaintext: Buffer, context: Record<string, string>): Promise<Buffer> {
    const store = this.usable(key);
    const aad = contextAad(context);
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key.secret, iv);
    cipher.setAAD(aad);
    const inner = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(key.keyId);
    const head = Buffer.concat([BLOB_MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag()]);
    if (store.type !== 'EXTERNAL_KEY_STORE') return Buffer.concat([head, inner]);
    const outerAad = crypto.createHash('sha256').update(aad).digest();
    const outer = await this.xksKeyCall(key, 'Encrypt', {
      requestMetadata: this.requestMetadata(key, 'Encrypt'),
      plaintext: inner.toString('base64'),
      additionalAuthenticatedData: outerAad.toString('base64'),
      encryptionAlgorithm: 'AES_GCM',
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
    });
    const outerIv = Buffer.from(outer.initializationVector, 'base64');
    const outerTag = Buffer.from(outer.authenticationTag, 'base64');
    const metadata = Buffer.from(outer.ciphertextMetadata ?? '', 'base64');
    const ciphertext = Buffer.from(outer.ciphertext, 'base64');
    // Like KMS, check the ciphertext data integrity value before trusting the proxy's answer.
    const cdiv = crypto.createHash('sha256').update(Buffer.concat([outerAad, metadata, outerIv, ciphertext, outerTag])).digest('base64');
    if (outer.ciphertextDataIntegrityValue !== cdiv) throw new Fault('KMSInvalidStateException', 'The external key store proxy returned a ciphertext that failed its integrity check');
    return Buffer.concat([head, Buffer.from([outerIv.length]), outerIv, outerTag, Buffer.from([metadata.length]), metadata, ciphertext]);
  }

  private async open(key: StoreKey, rest: Buffer, context: Record<string, string>): Promise<Buffer> {
    const store = this.usable(key);
    const aad = contextAad(context);
    const iv = rest.subarray(0, 12);
    const tag = rest.subarray(12, 28);
    let inner = rest.subarray(28);
    if (store.type === 'EXTERNAL_KEY_STORE') {
      const ivLength = inner[0];
      const outerIv = inner.subarray(1, 1 + ivLength);
      const outerTag = inner.subarray(1 + ivLength, 17 + ivLength);
      const metadataLength = inner[17 + ivLength];
      const metadata = inner.subarray(18 + ivLength, 18 + ivLength + metadataLength);
      const answer = await this.xksKeyCall(key, 'Decrypt', {
        requestMetadata: this.requestMetadata(key, 'Decrypt'),
        ciphertext: inner.subarray(18 + ivLength + metadataLength).toString('base64'),
        ciphertextMetadata: metadataLength > 0 ? metadata.toString('base64') : undefined,
        initializationVector: outerIv.toString('base64'),
        authenticationTag: outerTag.toString('base64'),
        additionalAuthenticatedData: crypto.createHash('sha256').update(aad).digest('base64'),
        encryptionAlgorithm: 'AES_GCM',
      });
      inner = Buffer.from(answer.plaintext, 'base64');
    }
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.secret, iv);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(inner), decipher.final()]);
    } catch {
      throw new Fault('InvalidCiphertextException', 'The ciphertext is invalid');
    }
  }

  private ownKey(keyArnOrId: unknown): StoreKey | undefined {
    if (typeof keyArnOrId !== 'string') return undefined;
    const match = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(keyArnOrId);
    if (match && (match[1] !== this.region || match[2] !== this.account)) return undefined;
    return this.keys.get(match ? match[3] : keyArnOrId);
  }

  private arn(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
  }
}

/** POSTs with exactly these headers (Host included), failing with code TIMEOUT after `timeoutMs`. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}

function requiredString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new Fault('ValidationException', `${name} is required`);
  return value;
}

function policyText(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  try {
    const parsed = JSON.parse(text) as { Statement?: unknown };
    if (!Array.isArray(parsed.Statement)) throw new Error('no statements');
  } catch {
    throw new Fault('MalformedPolicyDocumentException', 'The key policy is not a policy document');
  }
  return text;
}

function contextOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new Fault('ValidationException', 'EncryptionContext must be a map');
  return value as Record<string, string>;
}

function contextAad(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]])));
}

/** SHA-256 / HMAC-SHA-256 in the shape the signer expects. */
class Sha256 {
  private hash: crypto.Hash | crypto.Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): crypto.Hash | crypto.Hmac {
    if (this.secret === undefined) return crypto.createHash('sha256');
    return crypto.createHmac('sha256', typeof this.secret === 'string' ? this.secret : toBuffer(this.secret));
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}
