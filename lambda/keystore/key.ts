/**
 * The key-in-a-custom-store resource: CreateKey with the store's origin (and XksKeyId), the key
 * policy from the construct's policy model, tags and enabled state; updates in place (PutKeyPolicy,
 * description, tags, enable/disable); delete by ScheduleKeyDeletion with the pending window.
 *
 * Every key carries a creation tag derived from the stack, logical id, store and XKS key id, so a
 * retried create finds the key an earlier attempt made instead of creating a second one.
 */
import { createHash } from 'node:crypto';
import {
  CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, KeyMetadata, KMSClient, ListKeysCommand,
  ListResourceTagsCommand, PutKeyPolicyCommand, ScheduleKeyDeletionCommand, TagResourceCommand, UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { isKmsError, kmsCall, kmsError, KeyStoreError } from './errors';
import { OnEventResponse, ResourceEvent } from './events';
import { KeyProperties, readKeyProperties } from './properties';

/** The tag that makes creation idempotent. */
export const CREATION_TAG = 'cdk-kms-patterns:creation';

export interface KeyDeps {
  readonly kms: KMSClient;
  /** Waits between retries of a key policy that IAM has not propagated yet. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** KMS rejects a policy naming a role IAM has not propagated yet; such a policy becomes valid within seconds. */
const POLICY_RETRIES = 6;
const POLICY_RETRY_MS = 5000;

export class KeyHandler {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;

  constructor(private readonly deps: KeyDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.log = deps.log ?? (() => undefined);
  }

  public async onEvent(event: ResourceEvent): Promise<OnEventResponse> {
    const props = readKeyProperties(event.ResourceProperties);
    if (event.RequestType === 'Delete') return this.delete(event.PhysicalResourceId!, props.pendingWindowInDays);
    if (event.RequestType === 'Create') return this.create(props, event);
    const before = readKeyProperties(event.OldResourceProperties ?? {});
    if (creationTag(event, before) !== creationTag(event, props)) {
      // Another store or external key is another key; CloudFormation schedules the old one's deletion.
      return this.create(props, event);
    }
    return this.update(event.PhysicalResourceId!, before, props);
  }

  private async create(props: KeyProperties, event: ResourceEvent): Promise<OnEventResponse> {
    const tag = creationTag(event, props);
    const existing = await this.findByCreationTag(props.customKeyStoreId, tag);
    if (existing) {
      this.log('adopt', { keyId: existing.KeyId });
      await this.update(existing.KeyId!, undefined, props);
      return this.response(existing);
    }
    const created = await this.withPolicyRetry('CreateKey', () => this.deps.kms.send(new CreateKeyCommand({
      Origin: props.origin,
      CustomKeyStoreId: props.customKeyStoreId,
      XksKeyId: props.xksKeyId,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Description: props.description,
      Policy: props.policy,
      Tags: [...props.tags, { TagKey: CREATION_TAG, TagValue: tag }],
    })));
    const metadata = created.KeyMetadata!;
    this.log('created', { keyId: metadata.KeyId });
    if (!props.enabled) await kmsCall('DisableKey', () => this.deps.kms.send(new DisableKeyCommand({ KeyId: metadata.KeyId })));
    return this.response(metadata);
  }

  /** Brings an existing key to the properties; `before` undefined means compare with what KMS has. */
  private async update(keyId: string, before: KeyProperties | undefined, after: KeyProperties): Promise<OnEventResponse> {
    const metadata = await this.describe(keyId);
    if (!metadata || metadata.KeyState === 'PendingDeletion') {
      throw new KeyStoreError(`key ${keyId} is gone or pending deletion: cancel its deletion (CancelKeyDeletion) or remove the resource and add it again`, false);
    }
    if (before?.policy !== after.policy) {
      await this.withPolicyRetry('PutKeyPolicy', () => this.deps.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: after.policy })));
    }
    if ((metadata.Description ?? '') !== after.description) {
      await kmsCall('UpdateKeyDescription', () => this.deps.kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: after.description })));
    }
    await this.syncTags(keyId, after);
    if (metadata.Enabled !== after.enabled) {
      const Command = after.enabled ? EnableKeyCommand : DisableKeyCommand;
      await kmsCall(after.enabled ? 'EnableKey' : 'DisableKey', () => this.deps.kms.send(new Command({ KeyId: keyId })));
    }
    return this.response(metadata);
  }

  private async delete(keyId: string, pendingWindowInDays: number): Promise<OnEventResponse> {
    const metadata = await this.describe(keyId);
    // Gone or already scheduled (a retried delete): nothing left to do.
    if (metadata && metadata.KeyState !== 'PendingDeletion') {
      await kmsCall('ScheduleKeyDeletion', () => this.deps.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays })));
      this.log('deletion scheduled', { keyId, pendingWindowInDays });
    }
    return { PhysicalResourceId: keyId };
  }

  private async syncTags(keyId: string, props: KeyProperties): Promise<void> {
    const current = await kmsCall('ListResourceTags', () => this.deps.kms.send(new ListResourceTagsCommand({ KeyId: keyId })));
    const wanted = new Map(props.tags.map((t) => [t.TagKey, t.TagValue]));
    const stale = (current.Tags ?? []).map((t) => t.TagKey!).filter((k) => k !== CREATION_TAG && !wanted.has(k));
    const changed = props.tags.filter((t) => !(current.Tags ?? []).some((c) => c.TagKey === t.TagKey && c.TagValue === t.TagValue));
    if (stale.length > 0) await kmsCall('UntagResource', () => this.deps.kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: stale })));
    if (changed.length > 0) await kmsCall('TagResource', () => this.deps.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: changed })));
  }

  private async findByCreationTag(storeId: string, tag: string): Promise<KeyMetadata | undefined> {
    let marker: string | undefined;
    do {
      const page = await kmsCall('ListKeys', () => this.deps.kms.send(new ListKeysCommand({ Marker: marker, Limit: 1000 })));
      for (const entry of page.Keys ?? []) {
        // The handler may describe only keys of its store's origin (kms:KeyOrigin): others are not ours.
        const metadata = await this.describe(entry.KeyId!).catch((error: unknown) => {
          if (isKmsError(error, 'AccessDeniedException')) return undefined;
          throw error;
        });
        if (metadata?.CustomKeyStoreId !== storeId || metadata.KeyState === 'PendingDeletion') continue;
        const tags = await kmsCall('ListResourceTags', () => this.deps.kms.send(new ListResourceTagsCommand({ KeyId: entry.KeyId })));
        if ((tags.Tags ?? []).some((t) => t.TagKey === CREATION_TAG && t.TagValue === tag)) return metadata;
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return undefined;
  }

  private async describe(keyId: string): Promise<KeyMetadata | undefined> {
    try {
      return (await this.deps.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    } catch (error) {
      if (isKmsError(error, 'NotFoundException')) return undefined;
      throw kmsError('DescribeKey', error);
    }
  }

  private async withPolicyRetry<T>(call: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!isKmsError(error, 'MalformedPolicyDocumentException') || attempt >= POLICY_RETRIES) throw kmsError(call, error);
        this.log('policy not accepted yet, retrying', { attempt });
        await this.sleep(POLICY_RETRY_MS);
      }
    }
  }

  private response(metadata: KeyMetadata): OnEventResponse {
    return { PhysicalResourceId: metadata.KeyId!, Data: { Arn: metadata.Arn!, KeyId: metadata.KeyId! } };
  }
}

/** Same stack, logical id, store and external key: the same key. */
export function creationTag(event: ResourceEvent, props: KeyProperties): string {
  return createHash('sha256')
    .update(JSON.stringify([event.StackId, event.LogicalResourceId, props.customKeyStoreId, props.origin, props.xksKeyId ?? '']))
    .digest('hex').slice(0, 40);
}
