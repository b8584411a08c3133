/**
 * A generated cloud assembly of keys with the ManagedKey IAM_DELEGATED shape (account root, an
 * administrator, two conditional users, the CreateGrant guard, plus a role whose IAM policy reaches
 * the key), shared by bench/explain.ts and bench/diff.ts. `changed` keys differ the way a pull
 * request might: a new reader, the writer's encryption-context condition dropped, rotation off.
 */
import * as fs from 'fs';
import * as path from 'path';

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const role = (service: string) => ({
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] } },
});

export function keyResources(k: number, changed = false): Record<string, unknown> {
  const id = (name: string) => `${name}${k}`;
  return {
    [id('Admin')]: role('ec2.amazonaws.com'),
    [id('Writer')]: role('lambda.amazonaws.com'),
    [id('Reader')]: role('lambda.amazonaws.com'),
    [id('Auditor')]: role('lambda.amazonaws.com'),
    [id('AuditorPolicy')]: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'audit',
        Roles: [{ Ref: id('Auditor') }],
        PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Decrypt'], Resource: getAtt(id('Key')) }] },
      },
    },
    [id('Key')]: {
      Type: 'AWS::KMS::Key',
      Metadata: { 'aws:cdk:path': `Bench/Key${k}/Resource` },
      Properties: {
        EnableKeyRotation: !changed,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
            { Effect: 'Allow', Principal: { AWS: getAtt(id('Admin')) }, Action: ['kms:DescribeKey', 'kms:PutKeyPolicy', 'kms:EnableKey', 'kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:TagResource'], Resource: '*' },
            {
              Effect: 'Allow',
              Principal: { AWS: getAtt(id('Writer')) },
              Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptTo'],
              Resource: '*',
              Condition: changed
                ? { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['table', 'pk'] } }
                : { 'StringEquals': { 'kms:EncryptionContext:table': `t${k}` }, 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['table', 'pk'] } },
            },
            { Effect: 'Allow', Principal: { AWS: getAtt(id('Reader')) }, Action: ['kms:Decrypt', 'kms:ReEncryptFrom'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } } },
            ...(changed ? [{ Effect: 'Allow', Principal: { AWS: getAtt(id('Auditor')) }, Action: ['kms:Decrypt'], Resource: '*' }] : []),
            { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:CreateGrant', Resource: '*', Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } } },
          ],
        },
      },
    },
  };
}

export function writeAssembly(out: string, stacks: number, keysPerStack: number, changed: (s: number, k: number) => boolean = () => false): void {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const artifacts: Record<string, unknown> = {};
  for (let s = 0; s < stacks; s++) {
    const resources = {};
    for (let k = 0; k < keysPerStack; k++) Object.assign(resources, keyResources(k, changed(s, k)));
    const templateFile = `Bench${s}.template.json`;
    fs.writeFileSync(path.join(out, templateFile), JSON.stringify({ Resources: resources }));
    artifacts[`Bench${s}`] = { type: 'aws:cloudformation:stack', properties: { templateFile } };
  }
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
}

