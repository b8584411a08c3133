import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ASSET_HASH_PLACEHOLDER, stableTemplateJson, synthTemplate, validateTemplate } from './template';

const HASH_A = 'a'.repeat(64);
const HASH_B = '0123456789abcdef'.repeat(4);

function newStack(): Stack {
  return new Stack(new App(), 'Stack');
}

describe('synthTemplate', () => {
  test('returns the template of a valid stack', () => {
    const stack = newStack();
    new s3.Bucket(stack, 'Bucket', { encryptionKey: new kms.Key(stack, 'Key') });

    const template = synthTemplate(stack, { acceptLintFindings: ['KMS4'] }); // a default kms.Key: it does not rotate

    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  test('fails with the validator message when a property name is misspelled', () => {
    const stack = newStack();
    new CfnResource(stack, 'Typo', { type: 'AWS::KMS::Key', properties: { EnableKeyRotaton: true } });

    expect(() => synthTemplate(stack)).toThrow(/F3002 Typo Properties\.EnableKeyRotaton: .*'EnableKeyRotaton' was unexpected/);
  });

  test('fails on a cfn-lint error, not only on schema errors', () => {
    const stack = newStack();
    new CfnResource(stack, 'NoStatement', { type: 'AWS::KMS::Key', properties: { KeyPolicy: { Version: '2012-10-17' } } });

    expect(() => synthTemplate(stack)).toThrow(/E3512 NoStatement/);
  });

  test('ignoreRules skips the named rules only', () => {
    const template = {
      Resources: { Typo: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotaton: true, KeyPolicy: { Version: '2012-10-17' } } } },
    };

    const remaining = validateTemplate(template, { ignoreRules: ['F3002'] }).map((d) => d.ruleId);

    expect(remaining).toEqual(['E3512']);
  });
});

describe('stableTemplateJson', () => {
  test('replaces asset hashes wherever they occur and keeps everything else', () => {
    const template = {
      Parameters: {
        [`AssetParameters${HASH_A}S3BucketABCDEF12`]: { Type: 'String' },
      },
      Resources: {
        FnCurrentVersion0A1B2C3D0123456789abcdef0123456789abcdef: {
          Type: 'AWS::Lambda::Version',
          Properties: { FunctionName: { Ref: 'Fn' } },
        },
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Code: {
              S3Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
              S3Key: `${HASH_A}.zip`,
            },
            Handler: 'index.handler',
          },
          Metadata: { 'aws:asset:path': `asset.${HASH_B}`, 'aws:asset:property': 'Code' },
        },
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [{ Image: { 'Fn::Sub': `111111111111.dkr.ecr.us-east-1.\${AWS::URLSuffix}/cdk-hnb659fds-container-assets:${HASH_B}` } }],
          },
        },
        Nested: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: { TemplateURL: { 'Fn::Sub': `https://s3.us-east-1.\${AWS::URLSuffix}/cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/${HASH_B}.json` } },
        },
      },
    };

    const stable = JSON.stringify(stableTemplateJson(template));

    expect(stable).not.toMatch(/[0-9a-f]{32}/);
    expect(stable).toContain(`"S3Key":"${ASSET_HASH_PLACEHOLDER}.zip"`);
    expect(stable).toContain(`"aws:asset:path":"asset.${ASSET_HASH_PLACEHOLDER}"`);
    expect(stable).toContain(`cdk-hnb659fds-container-assets:${ASSET_HASH_PLACEHOLDER}`);
    expect(stable).toContain(`/${ASSET_HASH_PLACEHOLDER}.json`);
    expect(stable).toContain(`"AssetParameters${ASSET_HASH_PLACEHOLDER}S3Bucket"`);
    expect(stable).toContain(`"FnCurrentVersion${ASSET_HASH_PLACEHOLDER}"`);
    expect(stable).toContain('"Handler":"index.handler"');
    expect(stable).toContain('cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}');
  });

  test('two templates that differ only in asset hashes become equal', () => {
    const withHash = (hash: string) => ({ Resources: { Fn: { Properties: { Code: { S3Key: `${hash}.zip` } } } } });

    expect(stableTemplateJson(withHash(HASH_A))).toEqual(stableTemplateJson(withHash(HASH_B)));
  });
});

describe('every synthesized key passes our lint rules', () => {
  test('an error-level finding of any rule fails synthTemplate, unless the test accepts that rule', () => {
    const stack = newStack();
    new kms.Key(stack, 'Key', { enableKeyRotation: true }).addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()], actions: ['kms:Decrypt'], resources: ['*'],
    }));
    expect(() => synthTemplate(stack)).toThrow(/a KMS key fails our lint rules:\n {2}KMS1 Key\w+: statement #2 allows a wildcard principal/);
    expect(() => synthTemplate(stack, { acceptLintFindings: ['KMS1'] })).not.toThrow();
  });
});
