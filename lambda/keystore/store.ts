/**
 * The custom key store resource: create (or find by name after a timed-out attempt), connect and
 * wait until CONNECTED; update the name and credential while connected, anything else by
 * disconnect, update, reconnect; delete by disconnect then delete, never while the store holds keys.
 *
 * onEvent starts the change; isComplete looks at the store's connection state on every poll and
 * takes the next step, so a retried or resumed poll is always safe.
 */
import {
  ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, CustomKeyStoresListEntry, DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand, DescribeKeyCommand, DisconnectCustomKeyStoreCommand, KMSClient, ListKeysCommand,
  UpdateCustomKeyStoreCommand, UpdateCustomKeyStoreCommandInput, CreateCustomKeyStoreCommandInput,
} from '@aws-sdk/client-kms';
import { describeConnectionFailure } from './connection-errors';
import { isKmsError, kmsCall, kmsError, KeyStoreError } from './errors';
import { IsCompleteRequest, IsCompleteResponse, OnEventResponse, ResourceEvent } from './events';
import { connectionChanged, readStoreProperties, StoreProperties } from './properties';
import { readKmsUserPassword, readXksCredential, SecretReader } from './secrets';

export interface StoreDeps {
  readonly kms: KMSClient;
  readonly readSecret: SecretReader;
  readonly now?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Data handed from onEvent to isComplete: `update` means apply the whole configuration once disconnected. */
type Phase = 'connect' | 'update' | 'delete';

/** How long isComplete waits before failing with the store's state, unless the resource says otherwise. */
const DEFAULT_TIMEOUT_SECONDS = 3600;

export class StoreHandler {
  private readonly now: () => number;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;

  constructor(private readonly deps: StoreDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  public async onEvent(event: ResourceEvent): Promise<OnEventResponse> {
    const props = readStoreProperties(event.ResourceProperties);
    if (event.RequestType === 'Delete') return this.startDelete(event.PhysicalResourceId!);
    if (event.RequestType === 'Create') return this.create(props, event);
    const before = readStoreProperties(event.OldResourceProperties ?? {});
    return this.update(event.PhysicalResourceId!, before, props, event);
  }

  public async isComplete(event: IsCompleteRequest): Promise<IsCompleteResponse> {
    const id = event.PhysicalResourceId;
    const phase = (event.Data?.Phase ?? 'connect') as Phase;
    const store = await this.find(id);
    if (event.RequestType === 'Delete' || phase === 'delete') return this.continueDelete(id, store);
    if (!store) throw new KeyStoreError(`custom key store ${id} disappeared while it was being connected: deploy again to create it`, true);
    const props = readStoreProperties(event.ResourceProperties);
    const state = store.ConnectionState;
    this.log('poll', { id, state, phase });
    switch (state) {
      case 'CONNECTED':
        return { IsComplete: true, Data: this.data(store) };
      case 'FAILED':
        throw new KeyStoreError(describeConnectionFailure(props.kind, id, store.ConnectionErrorCode), false);
      case 'DISCONNECTED':
        if (phase === 'update') await this.applyAll(id, props);
        await kmsCall('ConnectCustomKeyStore', () => this.deps.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));
        break;
      default: // CONNECTING, DISCONNECTING
        break;
    }
    const deadline = Number(event.Data?.Deadline ?? Infinity);
    if (this.now() > deadline) {
      throw new KeyStoreError(`custom key store ${id} is still ${state} after ${event.ResourceProperties.TimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS} seconds: ` +
        'check the backing key store (CloudHSM cluster HSMs, or the XKS proxy and its health), then deploy again; the store is kept as it is', true);
    }
    return { IsComplete: false };
  }

  private async create(props: StoreProperties, event: ResourceEvent): Promise<OnEventResponse> {
    const existing = await this.findByName(props.name);
    if (existing) {
      // A retry after a time-out, or a store left by a failed deploy: adopt it, never create twice.
      if (existing.CustomKeyStoreType !== props.kind) {
        throw new KeyStoreError(`a ${existing.CustomKeyStoreType} custom key store named '${props.name}' already exists: choose another keyStoreName`, false);
      }
      const id = existing.CustomKeyStoreId!;
      this.log('adopt', { id, state: existing.ConnectionState });
      return this.response(id, await this.settle(existing), event);
    }
    const input: CreateCustomKeyStoreCommandInput = props.kind === 'EXTERNAL_KEY_STORE'
      ? {
        CustomKeyStoreName: props.name,
        CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
        XksProxyConnectivity: props.connectivity,
        XksProxyUriEndpoint: props.uriEndpoint,
        XksProxyUriPath: props.uriPath,
        XksProxyVpcEndpointServiceName: props.vpcEndpointServiceName,
        XksProxyVpcEndpointServiceOwner: props.vpcEndpointServiceOwner,
        XksProxyAuthenticationCredential: await readXksCredential(this.deps.readSecret, props.credentialSecretArn),
      }
      : {
        CustomKeyStoreName: props.name,
        CustomKeyStoreType: 'AWS_CLOUDHSM',
        CloudHsmClusterId: props.clusterId,
        TrustAnchorCertificate: props.trustAnchorCertificate,
        KeyStorePassword: await readKmsUserPassword(this.deps.readSecret, props.passwordSecretArn),
      };
    const created = await kmsCall('CreateCustomKeyStore', () => this.deps.kms.send(new CreateCustomKeyStoreCommand(input)));
    const id = created.CustomKeyStoreId!;
    this.log('created', { id });
    await kmsCall('ConnectCustomKeyStore', () => this.deps.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));
    return this.response(id, 'connect', event);
  }

  private async update(id: string, before: StoreProperties, after: StoreProperties, event: ResourceEvent): Promise<OnEventResponse> {
    // A different kind of store is a new store; CloudFormation deletes the old one afterwards.
    if (before.kind !== after.kind) return this.create(after, event);
    const store = await this.find(id);
    if (!store) throw new KeyStoreError(`custom key store ${id} no longer exists: remove the resource from the stack and add it again to create a new store`, false);
    if (connectionChanged(before, after) || store.ConnectionState !== 'CONNECTED') {
      return this.response(id, await this.settle(store), event);
    }
    // Only the name and the credential changed (or nothing KMS sees): both can change while connected.
    await this.updateWhileConnected(id, before, after);
    return this.response(id, 'connect', event);
  }

  /** Brings a store towards DISCONNECTED so the whole configuration can be applied, and says so. */
  private async settle(store: CustomKeyStoresListEntry): Promise<Phase> {
    const state = store.ConnectionState;
    if (state === 'CONNECTED' || state === 'CONNECTING' || state === 'FAILED') {
      // KMS reconnects a FAILED store only after a disconnect.
      await this.disconnect(store.CustomKeyStoreId!);
    }
    return 'update';
  }

  private async updateWhileConnected(id: string, before: StoreProperties, after: StoreProperties): Promise<void> {
    const input: UpdateCustomKeyStoreCommandInput = {
      CustomKeyStoreId: id,
      NewCustomKeyStoreName: before.name !== after.name ? after.name : undefined,
      XksProxyAuthenticationCredential: after.kind === 'EXTERNAL_KEY_STORE'
        ? await readXksCredential(this.deps.readSecret, after.credentialSecretArn)
        : undefined,
    };
    if (input.NewCustomKeyStoreName === undefined && input.XksProxyAuthenticationCredential === undefined) return;
    await kmsCall('UpdateCustomKeyStore', () => this.deps.kms.send(new UpdateCustomKeyStoreCommand(input)));
  }

  /** The whole configuration, applied to a DISCONNECTED store. */
  private async applyAll(id: string, props: StoreProperties): Promise<void> {
    const input: UpdateCustomKeyStoreCommandInput = props.kind === 'EXTERNAL_KEY_STORE'
      ? {
        CustomKeyStoreId: id,
        NewCustomKeyStoreName: props.name,
        XksProxyConnectivity: props.connectivity,
        XksProxyUriEndpoint: props.uriEndpoint,
        XksProxyUriPath: props.uriPath,
        XksProxyVpcEndpointServiceName: props.vpcEndpointServiceName,
        XksProxyVpcEndpointServiceOwner: props.vpcEndpointServiceOwner,
        XksProxyAuthenticationCredential: await readXksCredential(this.deps.readSecret, props.credentialSecretArn),
      }
      : {
        CustomKeyStoreId: id,
        NewCustomKeyStoreName: props.name,
        CloudHsmClusterId: props.clusterId,
        KeyStorePassword: await readKmsUserPassword(this.deps.readSecret, props.passwordSecretArn),
      };
    const current = await this.find(id);
    // KMS refuses to "rename" a store to the name it already has.
    if (current?.CustomKeyStoreName === props.name) delete (input as { NewCustomKeyStoreName?: string }).NewCustomKeyStoreName;
    await kmsCall('UpdateCustomKeyStore', () => this.deps.kms.send(new UpdateCustomKeyStoreCommand(input)));
    this.log('updated', { id });
  }

  private async startDelete(id: string): Promise<OnEventResponse> {
    const store = await this.find(id);
    if (!store) return { PhysicalResourceId: id, Data: { Phase: 'delete' } };
    const keys = await this.keysIn(id);
    if (keys.length > 0) {
      // Checked before disconnecting: a disconnected store makes its keys unusable.
      throw new KeyStoreError(`custom key store ${id} still holds ${keys.length} KMS key(s) (${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}), ` +
        'keys pending deletion included, so it is not deleted: delete those keys and wait for their pending window, or keep the store (RemovalPolicy.RETAIN)', false);
    }
    if (store.ConnectionState !== 'DISCONNECTED' && store.ConnectionState !== 'DISCONNECTING') await this.disconnect(id);
    return { PhysicalResourceId: id, Data: { Phase: 'delete' } };
  }

  private async continueDelete(id: string, store: CustomKeyStoresListEntry | undefined): Promise<IsCompleteResponse> {
    if (!store) return { IsComplete: true };
    switch (store.ConnectionState) {
      case 'DISCONNECTED':
        try {
          await this.deps.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        } catch (error) {
          if (isKmsError(error, 'CustomKeyStoreNotFoundException')) return { IsComplete: true };
          throw await this.explainDeleteFailure(id, error);
        }
        this.log('deleted', { id });
        return { IsComplete: true };
      case 'DISCONNECTING':
        return { IsComplete: false };
      default:
        await this.disconnect(id);
        return { IsComplete: false };
    }
  }

  private async explainDeleteFailure(id: string, error: unknown): Promise<KeyStoreError> {
    if (isKmsError(error, 'CustomKeyStoreHasCMKsException')) {
      const keys = await this.keysIn(id);
      return new KeyStoreError(`custom key store ${id} still holds KMS keys (${keys.join(', ') || 'keys pending deletion'}), so it is not deleted: ` +
        'delete those keys and wait for their pending window, or keep the store (RemovalPolicy.RETAIN)', false);
    }
    return kmsError('DeleteCustomKeyStore', error);
  }

  private async disconnect(id: string): Promise<void> {
    try {
      await this.deps.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    } catch (error) {
      // Already disconnected (a retried call) is the state we want.
      if (!isKmsError(error, 'CustomKeyStoreInvalidStateException')) throw kmsError('DisconnectCustomKeyStore', error);
    }
  }

  private find(id: string): Promise<CustomKeyStoresListEntry | undefined> {
    return this.describeOne({ CustomKeyStoreId: id });
  }

  private findByName(name: string): Promise<CustomKeyStoresListEntry | undefined> {
    return this.describeOne({ CustomKeyStoreName: name });
  }

  /** The one store a DescribeCustomKeyStores filter names, or undefined when there is none. */
  private async describeOne(filter: { CustomKeyStoreId: string } | { CustomKeyStoreName: string }): Promise<CustomKeyStoresListEntry | undefined> {
    try {
      const answer = await this.deps.kms.send(new DescribeCustomKeyStoresCommand(filter));
      return answer.CustomKeyStores?.[0];
    } catch (error) {
      if (isKmsError(error, 'CustomKeyStoreNotFoundException')) return undefined;
      throw kmsError('DescribeCustomKeyStores', error);
    }
  }

  /** Ids of the keys in a store (KMS has no filter for this: every key is described). */
  private async keysIn(id: string): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kmsCall('ListKeys', () => this.deps.kms.send(new ListKeysCommand({ Marker: marker, Limit: 1000 })));
      for (const entry of page.Keys ?? []) {
        const described = await this.deps.kms.send(new DescribeKeyCommand({ KeyId: entry.KeyId })).catch((error: unknown) => {
          // The handler may describe only keys of its store's origin (kms:KeyOrigin): others are not ours.
          if (isKmsError(error, 'AccessDeniedException', 'NotFoundException')) return undefined;
          throw kmsError('DescribeKey', error);
        });
        if (described?.KeyMetadata?.CustomKeyStoreId === id) keys.push(entry.KeyId!);
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return keys;
  }

  private response(id: string, phase: Phase, event: ResourceEvent): OnEventResponse {
    const timeoutSeconds = Number(event.ResourceProperties.TimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
    return { PhysicalResourceId: id, Data: { Phase: phase, Deadline: String(this.now() + timeoutSeconds * 1000) } };
  }

  private data(store: CustomKeyStoresListEntry): Record<string, string> {
    return {
      CustomKeyStoreId: store.CustomKeyStoreId!,
      CustomKeyStoreName: store.CustomKeyStoreName!,
      CustomKeyStoreType: store.CustomKeyStoreType!,
    };
  }
}
