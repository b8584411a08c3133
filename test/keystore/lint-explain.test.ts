/**
 * lint and explain read keys in custom key stores (their policy sits in the custom resource's
 * KeyPolicy property) as they read AWS::KMS::Key; the library never builds what the rules reject.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { externalStore, storeFixture } from './fixtures';
import { CustomStoreKey, KeyPolicyPosture, KeyUser } from '../../src';
import { explainTemplates } from '../../src/access/explain';
import { lintTemplate } from '../../src/lint/lint';
import { synthTemplate } from '../support/template';

function keyTemplate(posture: KeyPolicyPosture) {
  const f = storeFixture();
  new CustomStoreKey(f.stack, 'Key', {
    keyStore: externalStore(f),
    xksKeyId: 'k1',
    posture,
    administrators: [new iam.ArnPrincipal('arn:aws:iam::111111111111:role/KeyAdmin')],
    users: [KeyUser.decrypt(f.appRole)],
  });
  return synthTemplate(f.stack).toJSON();
}

test.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s: no lint finding on a CustomStoreKey', (posture) => {
  const findings = lintTemplate(keyTemplate(posture));
  expect(findings.filter((f) => f.resourceType === 'Custom::KmsCustomStoreKey').map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
});

test('lint flags a hand-written custom store key policy as it flags AWS::KMS::Key', () => {
  const template = keyTemplate(KeyPolicyPosture.IAM_DELEGATED) as any;
  const id = Object.keys(template.Resources).find((k) => template.Resources[k].Type === 'Custom::KmsCustomStoreKey')!;
  template.Resources[id].Properties.KeyPolicy.Statement.push({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' });
  template.Resources[id].DeletionPolicy = 'Delete';
  const rules = new Set(lintTemplate(template).filter((f) => f.logicalId === id).map((f) => f.ruleId));
  expect(rules.size).toBeGreaterThanOrEqual(2);
});

test('explain shows the key with its users: the app role decrypts, does not encrypt', () => {
  const report = explainTemplates([{ stackName: 'KeyStores', template: keyTemplate(KeyPolicyPosture.STRICT) as any, account: '111111111111', region: 'us-east-1' }]);
  const key = report.keys.find((k) => k.resourceType === 'Custom::KmsCustomStoreKey')!;
  expect(key.keySpec).toBe('SYMMETRIC_DEFAULT');
  const app = key.rows.find((row) => /App/.test(row.principal))!;
  expect(app.cells.decrypt.status).toBe('allowed');
  expect(app.cells.encrypt.status).toBe('denied');
});
