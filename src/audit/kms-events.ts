/**
 * The KMS events KeyAuditTrail alarms on, as EventBridge event patterns (pure data, no constructs).
 *
 * Real shapes, as CloudTrail records them and EventBridge delivers them:
 * - API calls arrive with detail-type "AWS API Call via CloudTrail"; what KMS does by itself
 *   (deleting a key after its waiting period, deleting expired imported key material, rotating)
 *   arrives as "AWS Service Event via CloudTrail".
 * - Key operations name the key in `detail.resources[].ARN` (always a key ARN, and for alias
 *   operations also the alias ARN), while `detail.requestParameters.keyId` holds whatever the
 *   caller passed: a key id, a key ARN, an alias name or an alias ARN. So narrowing to a key
 *   matches `resources[].ARN`, never `keyId`.
 * - Custom key store operations have no `resources`; they name the store in
 *   `requestParameters.customKeyStoreId`.
 * - KMS's own events (KMS CMK Deletion, Rotation, Imported Key Material Expiration) name the key
 *   in the top-level `resources` array.
 */

/** The KMS events a KeyAuditTrail can notify about. */
export enum KeyAuditEvent {
  /** ScheduleKeyDeletion: a key will be deleted at the end of its waiting period. */
  SCHEDULE_KEY_DELETION = 'SCHEDULE_KEY_DELETION',
  /** DisableKey: every use of the key fails until it is enabled again. */
  DISABLE_KEY = 'DISABLE_KEY',
  /** PutKeyPolicy: who can use or manage the key changed (the message carries the new policy). */
  PUT_KEY_POLICY = 'PUT_KEY_POLICY',
  /** DisableKeyRotation: the key material stops rotating. */
  DISABLE_KEY_ROTATION = 'DISABLE_KEY_ROTATION',
  /** CreateGrant called directly by a principal, not by an AWS service for an AWS resource. */
  CREATE_GRANT_NOT_FOR_AWS_RESOURCE = 'CREATE_GRANT_NOT_FOR_AWS_RESOURCE',
  /** DeleteAlias or UpdateAlias: code that names the key by alias now reaches another key, or none. */
  ALIAS_CHANGE = 'ALIAS_CHANGE',
  /** ImportKeyMaterial, DeleteImportedKeyMaterial, or KMS deleting expired imported material. */
  IMPORTED_KEY_MATERIAL_CHANGE = 'IMPORTED_KEY_MATERIAL_CHANGE',
  /** DisconnectCustomKeyStore, DeleteCustomKeyStore or UpdateCustomKeyStore. */
  CUSTOM_KEY_STORE_CHANGE = 'CUSTOM_KEY_STORE_CHANGE',
  /** KMS CMK Deletion: KMS deleted a key at the end of its waiting period. */
  KEY_DELETED = 'KEY_DELETED',
  /** KMS Imported Key Material Expiration: imported key material expired and the key is unusable. */
  IMPORTED_KEY_MATERIAL_EXPIRED = 'IMPORTED_KEY_MATERIAL_EXPIRED',
  /** KMS CMK Rotation: key material rotated (informational; off by default). */
  KEY_ROTATED = 'KEY_ROTATED',
}

export const API_CALL = 'AWS API Call via CloudTrail';
export const SERVICE_EVENT = 'AWS Service Event via CloudTrail';
const KMS_SOURCE = 'aws.kms';
const KMS_EVENT_SOURCE = 'kms.amazonaws.com';

/** How an event is recognised. */
interface EventDefinition {
  /** A short title for notifications and the dashboard. */
  readonly title: string;
  /** CloudTrail event names (for events delivered via CloudTrail). */
  readonly eventNames?: string[];
  /** Also match these names when KMS itself acts ("AWS Service Event via CloudTrail"). */
  readonly serviceEventNames?: string[];
  /** A KMS-native detail-type, for events KMS sends to EventBridge directly. */
  readonly nativeDetailType?: string;
  /** Extra `detail` fields the event must have. */
  readonly detail?: Record<string, unknown>;
  /** The event names a custom key store, not a key (no `resources`). */
  readonly keyStore?: boolean;
}

const DEFINITIONS: ReadonlyMap<KeyAuditEvent, EventDefinition> = new Map<KeyAuditEvent, EventDefinition>([
  [KeyAuditEvent.SCHEDULE_KEY_DELETION, { title: 'KMS key scheduled for deletion', eventNames: ['ScheduleKeyDeletion'] }],
  [KeyAuditEvent.DISABLE_KEY, { title: 'KMS key disabled', eventNames: ['DisableKey'] }],
  [KeyAuditEvent.PUT_KEY_POLICY, { title: 'KMS key policy changed', eventNames: ['PutKeyPolicy'] }],
  [KeyAuditEvent.DISABLE_KEY_ROTATION, { title: 'KMS key rotation disabled', eventNames: ['DisableKeyRotation'] }],
  [KeyAuditEvent.CREATE_GRANT_NOT_FOR_AWS_RESOURCE, {
    title: 'KMS grant created directly (not for an AWS resource)',
    eventNames: ['CreateGrant'],
    // An AWS service that creates a grant for an AWS resource (EBS, RDS, ...) records the call with
    // userIdentity.invokedBy set to the service; a direct call has no invokedBy.
    detail: { userIdentity: { invokedBy: [{ exists: false }], type: [{ 'anything-but': 'AWSService' }] } },
  }],
  [KeyAuditEvent.ALIAS_CHANGE, { title: 'KMS alias deleted or repointed', eventNames: ['DeleteAlias', 'UpdateAlias'] }],
  [KeyAuditEvent.IMPORTED_KEY_MATERIAL_CHANGE, {
    title: 'KMS imported key material changed',
    eventNames: ['ImportKeyMaterial', 'DeleteImportedKeyMaterial'],
    serviceEventNames: ['DeleteExpiredKeyMaterial'],
  }],
  [KeyAuditEvent.CUSTOM_KEY_STORE_CHANGE, {
    title: 'KMS custom key store disconnected, deleted or updated',
    eventNames: ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore', 'UpdateCustomKeyStore'],
    keyStore: true,
  }],
  [KeyAuditEvent.KEY_DELETED, { title: 'KMS key deleted', nativeDetailType: 'KMS CMK Deletion' }],
  [KeyAuditEvent.IMPORTED_KEY_MATERIAL_EXPIRED, { title: 'KMS imported key material expired', nativeDetailType: 'KMS Imported Key Material Expiration' }],
  [KeyAuditEvent.KEY_ROTATED, { title: 'KMS key material rotated', nativeDetailType: 'KMS CMK Rotation' }],
]);

/** Every event, in a stable order. */
export const ALL_KEY_AUDIT_EVENTS: readonly KeyAuditEvent[] = [...DEFINITIONS.keys()];

/** The events a KeyAuditTrail notifies about unless told otherwise (all but rotation). */
export const DEFAULT_KEY_AUDIT_EVENTS: readonly KeyAuditEvent[] = ALL_KEY_AUDIT_EVENTS.filter((e) => e !== KeyAuditEvent.KEY_ROTATED);

/** What to narrow a pattern to. Empty lists mean the whole account and Region. */
export interface PatternScope {
  /** Key ARNs (never ids or aliases: events always carry the key ARN). */
  readonly keyArns: readonly string[];
  /** Custom key store ids (`cks-...`). */
  readonly customKeyStoreIds: readonly string[];
}

function definition(event: KeyAuditEvent): EventDefinition {
  const found = DEFINITIONS.get(event);
  if (!found) throw new Error(`unknown KeyAuditEvent ${String(event)}`);
  return found;
}

/** A title for notifications and the dashboard. */
export function eventTitle(event: KeyAuditEvent): string {
  return definition(event).title;
}

/** Whether the event names a custom key store rather than a key. */
export function isKeyStoreEvent(event: KeyAuditEvent): boolean {
  return definition(event).keyStore === true;
}

/**
 * The EventBridge event pattern of an event, narrowed to the scope's keys (or key stores). Only
 * successful calls match: denied and failed attempts are counted by the denied-calls metric.
 */
export function eventPattern(event: KeyAuditEvent, scope: PatternScope = { keyArns: [], customKeyStoreIds: [] }): Record<string, unknown> {
  const def = definition(event);
  if (def.nativeDetailType) {
    return {
      'source': [KMS_SOURCE],
      'detail-type': [def.nativeDetailType],
      ...(scope.keyArns.length > 0 ? { resources: [...scope.keyArns] } : {}),
    };
  }
  const names = [...(def.eventNames ?? []), ...(def.serviceEventNames ?? [])];
  const narrowing = def.keyStore
    ? (scope.customKeyStoreIds.length > 0 ? { requestParameters: { customKeyStoreId: [...scope.customKeyStoreIds] } } : {})
    : (scope.keyArns.length > 0 ? { resources: { ARN: [...scope.keyArns] } } : {});
  return {
    'source': [KMS_SOURCE],
    'detail-type': def.serviceEventNames ? [API_CALL, SERVICE_EVENT] : [API_CALL],
    'detail': {
      eventSource: [KMS_EVENT_SOURCE],
      eventName: names,
      errorCode: [{ exists: false }],
      ...narrowing,
      ...(def.detail ?? {}),
    },
  };
}
