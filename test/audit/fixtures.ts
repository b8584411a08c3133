/**
 * KMS events as EventBridge delivers them, built on the CloudTrail records the KMS developer guide
 * documents ("Logging AWS KMS API calls with AWS CloudTrail": one example per operation) and the
 * KMS-native events of "Monitor KMS keys with Amazon EventBridge". `keyId` is written the way callers
 * pass it (key id, key ARN, alias name, alias ARN) while `resources[].ARN` always holds the key ARN,
 * as KMS records it. Custom key store records have no `resources`.
 */
import { FAKE_ENV } from '../support/iam';

const { account: ACCOUNT, region: REGION } = FAKE_ENV;

/** The identity of a person calling KMS directly. */
const ALICE = {
  type: 'IAMUser',
  principalId: 'EX_PRINCIPAL_ID',
  arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
  accountId: ACCOUNT,
  accessKeyId: 'EXAMPLE_KEY_ID',
  userName: 'Alice',
};

/** KMS acting by itself (deleting expired material, deleting a key after its waiting period). */
const KMS_ITSELF = { accountId: ACCOUNT, invokedBy: 'AWS Internal' };

export interface KeyRef {
  readonly keyId: string;
  readonly keyArn: string;
}

export function keyRef(keyArn: string): KeyRef {
  return { keyArn, keyId: keyArn.split('/').pop()! };
}

export function aliasArn(name: string): string {
  return `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`;
}

function keyResource(arn: string) {
  return { accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn };
}

let sequence = 0;

/** A CloudTrail record of a KMS call. */
export function cloudTrailRecord(eventName: string, fields: Record<string, unknown>): Record<string, unknown> {
  sequence++;
  return {
    eventVersion: '1.08',
    userIdentity: ALICE,
    eventTime: '2026-11-23T18:58:30Z',
    eventSource: 'kms.amazonaws.com',
    eventName,
    awsRegion: REGION,
    sourceIPAddress: '192.0.2.0',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `ee408f36-ea01-422b-ac14-${String(sequence).padStart(12, '0')}`,
    eventID: `3c4226b0-1e81-48a8-a333-${String(sequence).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...fields,
  };
}

/** The EventBridge event of a CloudTrail record. */
export function viaCloudTrail(record: Record<string, unknown>): Record<string, unknown> {
  const service = record.eventType === 'AwsServiceEvent';
  return {
    'version': '0',
    'id': `7f7c2d6a-0000-4000-8000-${String(++sequence).padStart(12, '0')}`,
    'detail-type': service ? 'AWS Service Event via CloudTrail' : 'AWS API Call via CloudTrail',
    'source': 'aws.kms',
    'account': ACCOUNT,
    'time': record.eventTime,
    'region': REGION,
    'resources': [],
    'detail': record,
  };
}

/** A KMS-native event (sent by KMS straight to EventBridge). */
export function nativeEvent(detailType: string, key: KeyRef, detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'version': '0',
    'id': `6a7e8feb-b491-4cf7-a9f1-${String(++sequence).padStart(12, '0')}`,
    'detail-type': detailType,
    'source': 'aws.kms',
    'account': ACCOUNT,
    'time': '2026-11-23T03:11:54Z',
    'region': REGION,
    'resources': [key.keyArn],
    'detail': { 'key-id': key.keyId, ...detail },
  };
}

/** A key policy as KMS records it in PutKeyPolicy: the document as a JSON string. */
const NEW_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
});

/** One CloudTrail record per operation the audit trail watches, for one key. */
export function recordsFor(key: KeyRef) {
  const alias = 'alias/orders';
  return {
    ScheduleKeyDeletion: cloudTrailRecord('ScheduleKeyDeletion', {
      requestParameters: { pendingWindowInDays: 20, keyId: key.keyId },
      responseElements: { keyId: key.keyArn, keyState: 'PendingDeletion', deletionDate: 'Dec 13, 2026 18:58:30 PM' },
      resources: [keyResource(key.keyArn)],
    }),
    DisableKey: cloudTrailRecord('DisableKey', {
      requestParameters: { keyId: key.keyArn },
      resources: [keyResource(key.keyArn)],
    }),
    PutKeyPolicy: cloudTrailRecord('PutKeyPolicy', {
      requestParameters: { keyId: key.keyId, policyName: 'default', policy: NEW_POLICY, bypassPolicyLockoutSafetyCheck: false },
      resources: [keyResource(key.keyArn)],
    }),
    DisableKeyRotation: cloudTrailRecord('DisableKeyRotation', {
      requestParameters: { keyId: key.keyArn },
      resources: [keyResource(key.keyArn)],
    }),
    CreateGrant: cloudTrailRecord('CreateGrant', {
      requestParameters: {
        keyId: key.keyArn,
        constraints: { encryptionContextSubset: { ContextKey1: 'Value1' } },
        operations: ['Encrypt', 'RetireGrant'],
        granteePrincipal: 'EX_PRINCIPAL_ID',
      },
      responseElements: { grantId: 'f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758' },
      resources: [{ ARN: key.keyArn, accountId: ACCOUNT }],
    }),
    /** EBS creating a grant for a volume: the call carries the service in invokedBy. */
    CreateGrantForAwsResource: cloudTrailRecord('CreateGrant', {
      userIdentity: { ...ALICE, type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/App/session`, invokedBy: 'ec2.amazonaws.com' },
      sourceIPAddress: 'ec2.amazonaws.com',
      userAgent: 'ec2.amazonaws.com',
      requestParameters: {
        keyId: key.keyArn,
        granteePrincipal: `ec2.${REGION}.amazonaws.com`,
        operations: ['Decrypt'],
        constraints: { encryptionContextSubset: { 'aws:ebs:id': 'vol-0123456789abcdef0' } },
      },
      resources: [{ ARN: key.keyArn, accountId: ACCOUNT }],
    }),
    DeleteAlias: cloudTrailRecord('DeleteAlias', {
      requestParameters: { aliasName: alias },
      resources: [keyResource(aliasArn(alias)), keyResource(key.keyArn)],
    }),
    UpdateAlias: cloudTrailRecord('UpdateAlias', {
      requestParameters: { aliasName: alias, targetKeyId: key.keyId },
      resources: [keyResource(aliasArn(alias)), keyResource(key.keyArn)],
    }),
    ImportKeyMaterial: cloudTrailRecord('ImportKeyMaterial', {
      requestParameters: { keyId: key.keyId, validTo: 'Jan 1, 2027 12:00:00 AM', expirationModel: 'KEY_MATERIAL_EXPIRES' },
      resources: [keyResource(key.keyArn)],
    }),
    DeleteImportedKeyMaterial: cloudTrailRecord('DeleteImportedKeyMaterial', {
      requestParameters: { keyId: key.keyArn },
      resources: [keyResource(key.keyArn)],
    }),
    DeleteExpiredKeyMaterial: cloudTrailRecord('DeleteExpiredKeyMaterial', {
      userIdentity: KMS_ITSELF,
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      eventType: 'AwsServiceEvent',
      resources: [keyResource(key.keyArn)],
      serviceEventDetails: { keyId: key.keyId },
    }),
    /** Use of the key by alias: not a change, no rule matches. */
    Encrypt: cloudTrailRecord('Encrypt', {
      readOnly: true,
      requestParameters: { keyId: alias, encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { Department: '10' } },
      resources: [keyResource(key.keyArn)],
    }),
    /** Decrypt naming the key by alias ARN. */
    Decrypt: cloudTrailRecord('Decrypt', {
      readOnly: true,
      requestParameters: { keyId: aliasArn(alias), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
      resources: [keyResource(key.keyArn)],
    }),
    EnableKey: cloudTrailRecord('EnableKey', {
      requestParameters: { keyId: key.keyId },
      resources: [keyResource(key.keyArn)],
    }),
    /** KMS deleting the key at the end of its waiting period. */
    DeleteKey: cloudTrailRecord('DeleteKey', {
      userIdentity: KMS_ITSELF,
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      eventType: 'AwsServiceEvent',
      responseElements: { keyId: key.keyArn },
      resources: [keyResource(key.keyArn)],
    }),
  };
}

/** The same operations refused by the key policy: KMS records errorCode, and no change happened. */
export function deniedRecordsFor(key: KeyRef) {
  const denial = (eventName: string, keyId: string, errorCode: string) => cloudTrailRecord(eventName, {
    errorCode,
    errorMessage: `User: ${ALICE.arn} is not authorized to perform: kms:${eventName} on resource: ${key.keyArn} because no resource-based policy allows the kms:${eventName} action`,
    requestParameters: { keyId },
    resources: [keyResource(key.keyArn)],
  });
  return {
    ScheduleKeyDeletion: denial('ScheduleKeyDeletion', key.keyId, 'AccessDenied'),
    DisableKey: denial('DisableKey', key.keyArn, 'AccessDenied'),
    Decrypt: denial('Decrypt', 'alias/orders', 'AccessDeniedException'),
  };
}

/** Custom key store records: no `resources`, the store in requestParameters. */
export function keyStoreRecords(customKeyStoreId: string) {
  const additionalEventData = { customKeyStoreName: 'ExampleKeyStore', clusterId: 'cluster-1a23b4cdefg' };
  return {
    DisconnectCustomKeyStore: cloudTrailRecord('DisconnectCustomKeyStore', { requestParameters: { customKeyStoreId }, additionalEventData }),
    DeleteCustomKeyStore: cloudTrailRecord('DeleteCustomKeyStore', { requestParameters: { customKeyStoreId }, additionalEventData }),
    UpdateCustomKeyStore: cloudTrailRecord('UpdateCustomKeyStore', {
      requestParameters: { customKeyStoreId, newCustomKeyStoreName: 'ExampleKeyStore2' },
      additionalEventData,
    }),
    ConnectCustomKeyStore: cloudTrailRecord('ConnectCustomKeyStore', { requestParameters: { customKeyStoreId }, additionalEventData }),
  };
}

/** KMS-native events for one key. */
export function nativeEventsFor(key: KeyRef) {
  return {
    'KMS CMK Deletion': nativeEvent('KMS CMK Deletion', key, { 'key-state': 'Deleted' }),
    'KMS Imported Key Material Expiration': nativeEvent('KMS Imported Key Material Expiration', key),
    'KMS CMK Rotation': nativeEvent('KMS CMK Rotation', key, { 'key-origin': 'AWS_KMS', 'rotation-type': 'AUTOMATIC' }),
  };
}
