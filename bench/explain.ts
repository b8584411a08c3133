/**
 * `explain` over generated cloud assemblies of 1k, 5k and 20k keys (20 stacks, so each template
 * grows with the size; each key with the ManagedKey IAM_DELEGATED shape: account root, an
 * administrator, two conditional users, the CreateGrant guard, plus roles with IAM policies on the
 * key). Prints, at each size, wall and CPU time and keys per second (linear work keeps the rate;
 * quadratic work shows as a rate falling with the size) and the ratio to a baseline measured in the
 * same run: loading (parsing) the same cloud assembly, which every command over it pays anyway.
 * Markdown runs at every size; html and json at the smallest.
 *
 *   npx tsx bench/explain.ts [--sizes 1000,5000,20000] [--rounds 3]
 */
import * as fs from 'fs';
import * as path from 'path';
import { runExplain } from '../cli/explain';
import { loadInputs } from '../cli/load';
import { roundsArgument, runScaling, sizesArgument, STACKS, writeAssembly as writeScalingAssembly } from './support/scaling';

const OUT = path.join(__dirname, 'out', 'explain-assembly');
const ROUNDS = 2;

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const role = (service: string) => ({
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] } },
});

function keyResources(k: number): Record<string, unknown> {
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
        EnableKeyRotation: true,
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
              Condition: { 'StringEquals': { 'kms:EncryptionContext:table': `t${k}` }, 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['table', 'pk'] } },
            },
            { Effect: 'Allow', Principal: { AWS: getAtt(id('Reader')) }, Action: ['kms:Decrypt', 'kms:ReEncryptFrom'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } } },
            { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:CreateGrant', Resource: '*', Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } } },
          ],
        },
      },
    },
  };
}

function writeAssembly(dir: string, keysPerStack: number): void {
  const resources = {};
  for (let k = 0; k < keysPerStack; k++) Object.assign(resources, keyResources(k));
  writeScalingAssembly(dir, { Resources: resources }, STACKS);
}

async function explain(dir: string, format: string): Promise<void> {
  const sink = { stdout: (s: string) => void s.length, stderr: (s: string) => process.stderr.write(s) };
  const code = await runExplain([dir, '--format', format], sink);
  if (code !== 0) throw new Error(`explain --format ${format} exited ${code}`);
}

async function main(): Promise<void> {
  const sizes = sizesArgument();
  const dirs = new Map(sizes.map((size) => [size, path.join(OUT, String(size))]));
  for (const size of sizes) writeAssembly(dirs.get(size)!, Math.ceil(size / STACKS));
  const smallest = Math.min(...sizes);
  await runScaling(sizes, roundsArgument(ROUNDS), [
    { name: 'baseline: load', run: (size) => loadInputs([dirs.get(size)!]) },
    { name: 'explain --format markdown', run: (size) => explain(dirs.get(size)!, 'markdown') },
    ...['html', 'json'].map((format) => ({ name: `explain --format ${format}`, sizes: [smallest], run: (size: number) => explain(dirs.get(size)!, format) })),
  ]);
  fs.rmSync(OUT, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
