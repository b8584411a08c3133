/**
 * The synthesized EventBridge rules and metric filters of a KeyAuditTrail against KMS events as
 * AWS documents them (test/audit/fixtures.ts), judged by matchers that follow EventBridge's and
 * CloudWatch Logs' documented semantics: each rule matches the events it should and no others,
 * watch(key) matches only that key, and each filter counts the log lines it should.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  deniedRecordsFor, keyRef, KeyRef, keyStoreRecords, nativeEventsFor, recordsFor, viaCloudTrail,
} from './fixtures';
import { KeyAuditEvent, KeyAuditTrail, ManagedKey } from '../../src';
import { ALL_KEY_AUDIT_EVENTS, eventPattern } from '../../src/audit/kms-events';
import { matchesEventPattern } from '../support/event-pattern';
import { FAKE_ENV, KeyAccess, logicalIdOf } from '../support/iam';
import { matchesLogFilterPattern } from '../support/log-filter-pattern';
import { synthTemplate } from '../support/template';

const STORE = 'cks-1234567890abcdef0';
const OTHER_STORE = 'cks-0fedcba0987654321';

interface Synthesized {
  readonly template: Template;
  readonly trail: KeyAuditTrail;
  readonly watched: KeyRef;
  readonly other: KeyRef;
  /** A rule's event pattern, resolved with the fake environment. */
  pattern(event: KeyAuditEvent): object;
  /** A metric filter's pattern, resolved, by construct id under the trail. */
  filter(id: string): string;
}

function synth(watch: boolean): Synthesized {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: FAKE_ENV.account, region: FAKE_ENV.region } });
  const orders = new ManagedKey(stack, 'Orders');
  const payments = new ManagedKey(stack, 'Payments');
  const trail = new KeyAuditTrail(stack, 'Audit', { events: [...ALL_KEY_AUDIT_EVENTS] });
  if (watch) {
    trail.watch(orders);
    trail.watchExternalKeyStore(STORE);
  }
  const template = synthTemplate(stack);
  const access = KeyAccess.of(template, orders);
  const watched = keyRef(access.keyArn);
  const other = keyRef(KeyAccess.of(template, payments).keyArn);
  const resources = template.toJSON().Resources;
  return {
    template,
    trail,
    watched,
    other,
    pattern: (event) => access.resolve(resources[logicalIdOf(trail.ruleFor(event)!)].Properties.EventPattern),
    filter: (id) => access.resolve(resources[logicalIdOf(trail.node.findChild(id))].Properties.FilterPattern),
  };
}

/** Every event of one key, named, with the rules it must trigger. */
function eventsOf(key: KeyRef): Array<[string, object, KeyAuditEvent[]]> {
  const records = recordsFor(key);
  const denied = deniedRecordsFor(key);
  const native = nativeEventsFor(key);
  return [
    ['ScheduleKeyDeletion', viaCloudTrail(records.ScheduleKeyDeletion), [KeyAuditEvent.SCHEDULE_KEY_DELETION]],
    ['DisableKey', viaCloudTrail(records.DisableKey), [KeyAuditEvent.DISABLE_KEY]],
    ['PutKeyPolicy', viaCloudTrail(records.PutKeyPolicy), [KeyAuditEvent.PUT_KEY_POLICY]],
    ['DisableKeyRotation', viaCloudTrail(records.DisableKeyRotation), [KeyAuditEvent.DISABLE_KEY_ROTATION]],
    ['CreateGrant by a principal', viaCloudTrail(records.CreateGrant), [KeyAuditEvent.CREATE_GRANT_NOT_FOR_AWS_RESOURCE]],
    ['CreateGrant by EBS for a volume', viaCloudTrail(records.CreateGrantForAwsResource), []],
    ['DeleteAlias', viaCloudTrail(records.DeleteAlias), [KeyAuditEvent.ALIAS_CHANGE]],
    ['UpdateAlias', viaCloudTrail(records.UpdateAlias), [KeyAuditEvent.ALIAS_CHANGE]],
    ['ImportKeyMaterial', viaCloudTrail(records.ImportKeyMaterial), [KeyAuditEvent.IMPORTED_KEY_MATERIAL_CHANGE]],
    ['DeleteImportedKeyMaterial', viaCloudTrail(records.DeleteImportedKeyMaterial), [KeyAuditEvent.IMPORTED_KEY_MATERIAL_CHANGE]],
    ['DeleteExpiredKeyMaterial (service event)', viaCloudTrail(records.DeleteExpiredKeyMaterial), [KeyAuditEvent.IMPORTED_KEY_MATERIAL_CHANGE]],
    ['Encrypt by alias name', viaCloudTrail(records.Encrypt), []],
    ['Decrypt by alias ARN', viaCloudTrail(records.Decrypt), []],
    ['EnableKey', viaCloudTrail(records.EnableKey), []],
    ['DeleteKey (service event)', viaCloudTrail(records.DeleteKey), []],
    ['ScheduleKeyDeletion denied', viaCloudTrail(denied.ScheduleKeyDeletion), []],
    ['DisableKey denied', viaCloudTrail(denied.DisableKey), []],
    ['KMS CMK Deletion', native['KMS CMK Deletion'], [KeyAuditEvent.KEY_DELETED]],
    ['KMS Imported Key Material Expiration', native['KMS Imported Key Material Expiration'], [KeyAuditEvent.IMPORTED_KEY_MATERIAL_EXPIRED]],
    ['KMS CMK Rotation', native['KMS CMK Rotation'], [KeyAuditEvent.KEY_ROTATED]],
  ];
}

function storeEvents(storeId: string): Array<[string, object, KeyAuditEvent[]]> {
  const records = keyStoreRecords(storeId);
  return [
    ['DisconnectCustomKeyStore', viaCloudTrail(records.DisconnectCustomKeyStore), [KeyAuditEvent.CUSTOM_KEY_STORE_CHANGE]],
    ['DeleteCustomKeyStore', viaCloudTrail(records.DeleteCustomKeyStore), [KeyAuditEvent.CUSTOM_KEY_STORE_CHANGE]],
    ['UpdateCustomKeyStore', viaCloudTrail(records.UpdateCustomKeyStore), [KeyAuditEvent.CUSTOM_KEY_STORE_CHANGE]],
    ['ConnectCustomKeyStore', viaCloudTrail(records.ConnectCustomKeyStore), []],
  ];
}

function matchingRules(s: Synthesized, event: object): KeyAuditEvent[] {
  return ALL_KEY_AUDIT_EVENTS.filter((rule) => matchesEventPattern(s.pattern(rule), event));
}

describe('event rules watching one key and one key store', () => {
  const s = synth(true);

  test.each(eventsOf(keyRef('arn:aws:kms:us-east-1:111111111111:key/placeholder')).map(([name]) => name))('%s of the watched key', (name) => {
    const [, event, expected] = eventsOf(s.watched).find(([n]) => n === name)!;
    expect(matchingRules(s, event)).toEqual(expected);
  });

  test('no rule matches any event of another key', () => {
    for (const [name, event] of eventsOf(s.other)) {
      expect([name, matchingRules(s, event)]).toEqual([name, []]);
    }
  });

  test('custom key store rules match only the watched store', () => {
    for (const [name, event, expected] of storeEvents(STORE)) expect([name, matchingRules(s, event)]).toEqual([name, expected]);
    for (const [name, event] of storeEvents(OTHER_STORE)) expect([name, matchingRules(s, event)]).toEqual([name, []]);
  });

  test('key rules narrow on resources[].ARN, never on requestParameters.keyId', () => {
    const pattern = s.pattern(KeyAuditEvent.SCHEDULE_KEY_DELETION) as any;
    expect(pattern.detail.resources).toEqual({ ARN: [s.watched.keyArn] });
    expect(JSON.stringify(pattern)).not.toContain('keyId');
  });
});

describe('event rules without watch cover the account', () => {
  const s = synth(false);

  test('every key', () => {
    for (const key of [s.watched, s.other]) {
      for (const [name, event, expected] of eventsOf(key)) expect([name, matchingRules(s, event)]).toEqual([name, expected]);
    }
  });

  test('every custom key store', () => {
    for (const [name, event, expected] of [...storeEvents(STORE), ...storeEvents(OTHER_STORE)]) {
      expect([name, matchingRules(s, event)]).toEqual([name, expected]);
    }
  });
});

describe('the pure event patterns', () => {
  test.each(ALL_KEY_AUDIT_EVENTS)('%s names its source and detail-type', (event) => {
    const pattern = eventPattern(event) as any;
    expect(pattern.source).toEqual(['aws.kms']);
    expect(pattern['detail-type'].length).toBeGreaterThan(0);
  });

  test('operations KMS performs by itself match "AWS Service Event via CloudTrail" too', () => {
    expect((eventPattern(KeyAuditEvent.IMPORTED_KEY_MATERIAL_CHANGE) as any)['detail-type'])
      .toEqual(['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail']);
    expect((eventPattern(KeyAuditEvent.DISABLE_KEY) as any)['detail-type']).toEqual(['AWS API Call via CloudTrail']);
  });
});

describe('metric filters against CloudTrail log lines', () => {
  const s = synth(true);
  const lines = (key: KeyRef) => ({ ...recordsFor(key), ...keyStoreRecords(STORE) });
  const denied = (key: KeyRef) => deniedRecordsFor(key);
  const matching = (pattern: string, records: Record<string, object>) =>
    Object.entries(records).filter(([, record]) => matchesLogFilterPattern(pattern, JSON.stringify(record))).map(([name]) => name).sort();

  test('denied calls: every AccessDenied* record, of any key, and nothing else', () => {
    const pattern = s.filter('DeniedCalls');
    for (const key of [s.watched, s.other]) {
      expect(matching(pattern, denied(key))).toEqual(['Decrypt', 'DisableKey', 'ScheduleKeyDeletion']);
      expect(matching(pattern, lines(key))).toEqual([]);
    }
  });

  test('CIS 4.7: DisableKey and ScheduleKeyDeletion, attempted or done', () => {
    const pattern = s.filter('Cis47');
    expect(matching(pattern, lines(s.other))).toEqual(['DisableKey', 'ScheduleKeyDeletion']);
    expect(matching(pattern, denied(s.other))).toEqual(['DisableKey', 'ScheduleKeyDeletion']);
  });

  test("a watched key's request filter counts its successful calls only", () => {
    const pattern = s.filter('RequestsOrders');
    expect(matching(pattern, lines(s.watched))).toEqual([
      'CreateGrant', 'CreateGrantForAwsResource', 'Decrypt', 'DeleteExpiredKeyMaterial', 'DeleteImportedKeyMaterial', 'DeleteKey',
      'DisableKey', 'DisableKeyRotation', 'EnableKey', 'Encrypt', 'ImportKeyMaterial', 'PutKeyPolicy', 'ScheduleKeyDeletion',
    ]);
    expect(matching(pattern, lines(s.other))).toEqual([]);
    expect(matching(pattern, denied(s.watched))).toEqual([]);
  });

  test("a watched key's denied filter counts its denials only", () => {
    const pattern = s.filter('DeniedOrders');
    expect(matching(pattern, denied(s.watched))).toEqual(['Decrypt', 'DisableKey', 'ScheduleKeyDeletion']);
    expect(matching(pattern, denied(s.other))).toEqual([]);
    expect(matching(pattern, lines(s.watched))).toEqual([]);
  });
});
