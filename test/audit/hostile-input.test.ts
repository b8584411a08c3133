/**
 * Hostile input classes against KeyAuditTrail's watch methods, many members each (fast-check):
 * whatever string comes in, it either fails at synth with a ValidationError naming the construct,
 * or what reaches the template is well-formed (no quote can break out of a Metrics Insights query,
 * a metric name holds only safe characters, only key ARNs narrow the rules).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { KeyAuditTrail } from '../../src';
import { KeyService } from '../../src/key';
import { FAKE_ENV } from '../support/iam';

function newTrail(): KeyAuditTrail {
  const stack = new Stack(new App(), 'Stack', { env: { account: FAKE_ENV.account, region: FAKE_ENV.region } });
  return new KeyAuditTrail(stack, 'Audit');
}

/** Runs `act`; a throw must be our ValidationError naming the trail. Returns whether it passed. */
function acceptedOrRejected(act: () => void): boolean {
  try {
    act();
    return true;
  } catch (error) {
    expect((error as Error).name).toBe('ValidationError');
    expect((error as Error).message).toMatch(/^Stack\/Audit: /);
    return false;
  }
}

const hostileStrings = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom("cks-1' OR 1=1", 'cks-', 'CKS-1234567890ABCDEF0', 'cks-1234567890abcdef0\n', '__proto__', 'constructor', '', ' ', '"', "'", '\\'),
  fc.stringMatching(/^cks-[a-z0-9'" ]{0,20}$/),
);

describe('hostile input', () => {
  test('custom key store ids: rejected, or a plain cks- id in the alarm query', () => {
    fc.assert(fc.property(hostileStrings, (id) => {
      const trail = newTrail();
      if (acceptedOrRejected(() => trail.watchExternalKeyStore(id))) {
        expect(id).toMatch(/^cks-[a-z0-9]+$/);
      }
    }), { numRuns: 60 });
  });

  test('labels: rejected, or a metric name of letters, digits, - and _ only', () => {
    fc.assert(fc.property(hostileStrings, (label) => {
      const trail = newTrail();
      const key = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      if (acceptedOrRejected(() => trail.watchKeyArn(key, { label }))) {
        const names = trail.node.findAll().map((c) => (c as any).metricName).filter((n): n is string => typeof n === 'string');
        expect(names.length).toBeGreaterThan(2);
        for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
      }
    }), { numRuns: 60 });
  });

  test('key ARNs: rejected unless a key ARN of this account and Region', () => {
    const arns = fc.oneof(
      hostileStrings,
      fc.tuple(fc.constantFrom('kms', 's3', 'KMS'), fc.constantFrom('us-east-1', 'eu-west-1', ''), fc.constantFrom('111111111111', '222222222222', ''),
        fc.constantFrom('key/1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/orders', 'key/', 'key', 'keystore/x'))
        .map(([service, region, account, resource]) => `arn:aws:${service}:${region}:${account}:${resource}`),
    );
    fc.assert(fc.property(arns, (arn) => {
      const trail = newTrail();
      if (acceptedOrRejected(() => trail.watchKeyArn(arn))) {
        expect(arn).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/.+$/);
      }
    }), { numRuns: 80 });
  });

  test('the new KeyService factories: names stay fixed whatever the options', () => {
    expect(KeyService.cloudTrailDescribeKey().name).toBe('CloudTrailDescribeKey');
    expect(KeyService.cloudWatchAlarms({ alarmArn: '__proto__' }).name).toBe('CloudWatchAlarms');
  });
});
