/**
 * EnvelopeEncryptedBucket: template assertions, synth-time validation, who can use the key (our
 * evaluator for encryption-context conditions, iam-simulate for the rest) and a snapshot.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OBJECT_CONTEXT_KEYS } from '../../lambda/envelope/object-location';
import { EnvelopeAlgorithmSuite, EnvelopeEncryptedBucket, EnvelopeEncryptedBucketProps, ManagedKey, ObjectEncryptionContext } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { controlTowerKmsChecks, nagFindings } from '../support/compliance';
import { FAKE_ENV, KeyAccess, logicalIdOf } from '../support/iam';
import { stableTemplateJson, synthTemplate } from '../support/template';

interface Built {
  readonly stack: Stack;
  readonly docs: EnvelopeEncryptedBucket;
  readonly reader: iam.Role;
  readonly writer: iam.Role;
  readonly uploader: iam.Role;
  readonly bystander: iam.Role;
}

function build(props?: EnvelopeEncryptedBucketProps): Built {
  const stack = new Stack(new App(), 'Stack');
  const docs = new EnvelopeEncryptedBucket(stack, 'Docs', props);
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  const [reader, writer, uploader, bystander] = ['Reader', 'Writer', 'Uploader', 'Bystander'].map(role);
  docs.grantRead(reader);
  docs.grantReadWrite(writer);
  docs.grantIntakeWrite(uploader);
  return { stack, docs, reader, writer, uploader, bystander };
}

const built = build();
const template = synthTemplate(built.stack);
const json = template.toJSON();

/** Role policy statements of a function or role, resolved against FAKE_ENV. */
function policyStatements(roleLogicalId: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function roleOf(fn: { role?: iam.IRole }): string {
  return logicalIdOf(fn.role!);
}

describe('resources', () => {
  test('the bucket: SSE-KMS with a bucket key under the ManagedKey, versioned, no public access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(built.docs.key), 'Arn'] } },
        }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [
          { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
          { Id: 'ExpireNoncurrentIntakeVersions', Prefix: 'intake/', NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' },
        ],
      },
    });
  });

  test('the bucket accepts TLS requests only', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('three functions with the bundled handlers and the bucket layout in their environment', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { INTAKE_PREFIX: 'intake/' } } } });
    expect(Object.keys(functions)).toHaveLength(3);
    for (const fn of Object.values(functions) as any[]) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', Architectures: ['arm64'], LoggingConfig: { LogGroup: expect.anything() } });
      expect(fn.Properties.Environment.Variables).toEqual({
        ENVELOPE_KEY_ARN: { 'Fn::GetAtt': [logicalIdOf(built.docs.key), 'Arn'] },
        ENVELOPE_ALGORITHM_SUITE: 'COMMIT_KEY',
        POWERTOOLS_SERVICE_NAME: 'cdk-kms-patterns-envelope',
        BUCKET_NAME: { 'Fn::Join': ['', [expect.stringMatching(/^stack-docs-[0-9a-f]{8}-$/), { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] },
        INTAKE_PREFIX: 'intake/',
        PROTECTED_PREFIX: 'protected/',
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 30, MemorySize: 1024, Description: Match.stringLikeRegexp('inline') });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900, MemorySize: 1024, Description: Match.stringLikeRegexp('encrypts intake') });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900, MemorySize: 512, Description: Match.stringLikeRegexp('streams') });
  });

  test('crypto options reach every function; memorySize and timeout the inline one only', () => {
    const stack = new Stack(new App(), 'Stack');
    new EnvelopeEncryptedBucket(stack, 'Docs', { cache: { enabled: false }, memorySize: 2048, timeout: Duration.seconds(20), intakeMemorySize: 3008 });
    const functions = Object.values(synthTemplate(stack).findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { INTAKE_PREFIX: 'intake/' } } },
    })) as any[];
    expect(functions.map((f) => f.Properties.Environment.Variables.ENVELOPE_CACHE_MAX_AGE_SECONDS)).toEqual(['0', '0', '0']);
    expect(functions.map((f) => [f.Properties.MemorySize, f.Properties.Timeout]).sort()).toEqual([[2048, 20], [3008, 900], [512, 900]]);
  });

  test('the read function has an IAM-authenticated, response-streaming function URL', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'RESPONSE_STREAM',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.docs.readFunction), 'Arn'] },
    });
  });

  test('objects created under the intake prefix notify the intake function', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [{
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'intake/' }] } },
          LambdaFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.docs.intakeFunction), 'Arn'] },
        }],
      },
    });
  });
});

describe('least privilege in IAM', () => {
  const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.any(String), 'Arn'] }, `/${prefix}*`]] });

  test('each function gets only the S3 actions it needs, on its prefix, and nothing on KMS', () => {
    const s3Only = (roleId: string) => policyStatements(roleId).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3Only(roleOf(built.docs.cryptoFunction))).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: objects('protected/') }),
    ]);
    expect(s3Only(roleOf(built.docs.intakeFunction))).toEqual([
      expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'], Resource: objects('intake/') }),
      expect.objectContaining({ Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects('protected/') }),
    ]);
    expect(s3Only(roleOf(built.docs.readFunction))).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: objects('protected/') }),
    ]);
    for (const fn of [built.docs.cryptoFunction, built.docs.intakeFunction, built.docs.readFunction]) {
      const actions = policyStatements(roleOf(fn)).flatMap((s) => [s.Action].flat());
      expect(actions.filter((a: string) => a.startsWith('kms:'))).toEqual([]);
    }
  });

  test('grantRead: the function URL only; grantReadWrite adds invoking the crypto function', () => {
    expect(policyStatements(logicalIdOf(built.reader))).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } }),
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } } }),
    ]);
    const writer = policyStatements(logicalIdOf(built.writer));
    expect(writer).toHaveLength(3);
    expect(writer).toContainEqual(expect.objectContaining({
      Action: 'lambda:InvokeFunction',
      Resource: expect.arrayContaining([{ 'Fn::GetAtt': [logicalIdOf(built.docs.cryptoFunction), 'Arn'] }]),
    }));
    const actions = [...policyStatements(logicalIdOf(built.reader)), ...writer].flatMap((s) => [s.Action].flat());
    expect(actions.every((a: string) => a.startsWith('lambda:'))).toBe(true);
  });

  test('grantIntakeWrite: PutObject under the intake prefix only', () => {
    expect(policyStatements(logicalIdOf(built.uploader))).toEqual([
      expect.objectContaining({ Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects('intake/') }),
    ]);
  });
});

describe('who can use the key', () => {
  const access = KeyAccess.of(json, built.docs.key);
  const bucketName: string = access.resolve(json.Resources[logicalIdOf(built.docs.cryptoFunction)].Properties.Environment.Variables.BUCKET_NAME);
  const ctx = (key: string, bucket = bucketName) => ({ [OBJECT_CONTEXT_KEYS.bucket]: bucket, [OBJECT_CONTEXT_KEYS.objectKey]: key });
  const principal = (id: string) => access.principalArn(id);

  /**
   * Our own evaluator decides requests that carry an encryption context: iam-simulate ignores
   * `kms:EncryptionContext:<key>` conditions (see test/support/iam.ts), so it cannot prove them.
   */
  function decide(roleId: string, action: string, encryptionContext?: Record<string, string>, context?: Record<string, string>) {
    return evaluateKeyAccess({
      keyPolicy: access.keyPolicy,
      identityPolicies: access.identityPolicies(roleId).map((p) => p.policy as any),
      request: { principal: principal(roleId), action, keyArn: access.keyArn, encryptionContext, context },
    }).decision;
  }

  test('the lambda and src context keys agree', () => {
    expect({ bucket: ObjectEncryptionContext.BUCKET, objectKey: ObjectEncryptionContext.OBJECT_KEY }).toEqual(OBJECT_CONTEXT_KEYS);
    expect(bucketName).toMatch(/^stack-docs-[0-9a-f]{8}-111111111111-us-east-1$/);
  });

  test('each function role may do its part, with this bucket and an object key as the context', () => {
    const inline = roleOf(built.docs.cryptoFunction);
    const intake = roleOf(built.docs.intakeFunction);
    const read = roleOf(built.docs.readFunction);
    expect(decide(inline, 'kms:GenerateDataKey', ctx('protected/a'))).toBe('Allow');
    expect(decide(inline, 'kms:Decrypt', ctx('protected/a'))).toBe('Allow');
    expect(decide(intake, 'kms:GenerateDataKey', ctx('protected/a'))).toBe('Allow');
    expect(decide(intake, 'kms:Decrypt', ctx('protected/a'))).toBe('ImplicitDeny');
    expect(decide(read, 'kms:Decrypt', ctx('protected/a'))).toBe('Allow');
    expect(decide(read, 'kms:GenerateDataKey', ctx('protected/a'))).toBe('ImplicitDeny');
  });

  test('the wrong context is denied: another bucket, a missing object key, an extra key, none', () => {
    const inline = roleOf(built.docs.cryptoFunction);
    expect(decide(inline, 'kms:GenerateDataKey', ctx('protected/a', 'other-bucket'))).toBe('ImplicitDeny');
    expect(decide(inline, 'kms:GenerateDataKey', { [OBJECT_CONTEXT_KEYS.bucket]: bucketName })).toBe('ImplicitDeny');
    expect(decide(inline, 'kms:GenerateDataKey', { ...ctx('protected/a'), tenant: 'x' })).toBe('ImplicitDeny');
    expect(decide(inline, 'kms:GenerateDataKey')).toBe('ImplicitDeny');
  });

  test('SSE-KMS use goes through S3 only, with this bucket as the context', () => {
    const uploader = logicalIdOf(built.uploader);
    const viaS3 = { 'kms:ViaService': `s3.${FAKE_ENV.region}.${FAKE_ENV.urlSuffix}` };
    const s3Context = { 'aws:s3:arn': `arn:aws:s3:::${bucketName}` };
    expect(decide(uploader, 'kms:GenerateDataKey', s3Context, viaS3)).toBe('Allow');
    expect(decide(uploader, 'kms:GenerateDataKey', s3Context)).toBe('ImplicitDeny');
    expect(decide(uploader, 'kms:GenerateDataKey', { 'aws:s3:arn': 'arn:aws:s3:::other' }, viaS3)).toBe('ImplicitDeny');
    expect(decide(uploader, 'kms:GenerateDataKey', ctx('protected/a'))).toBe('ImplicitDeny');
  });

  test('callers granted read/write and bystanders cannot use the key at all (iam-simulate)', async () => {
    for (const role of [built.reader, built.writer, built.bystander]) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt']) {
        await expect(access.canDo(role, action)).resolves.toBe('ImplicitlyDenied');
      }
    }
    // Without an encryption context even the function roles are denied (the simulator evaluates
    // kms:EncryptionContextKeys, which must be present).
    await expect(access.canDo(roleOf(built.docs.cryptoFunction), 'kms:GenerateDataKey')).resolves.toBe('ImplicitlyDenied');
  });
});

describe('bad input fails at synth', () => {
  const stack = () => new Stack(new App(), 'Stack');

  test.each<[string, (s: Stack) => EnvelopeEncryptedBucketProps, RegExp]>([
    ['existingBucketObj with bucketProps', (s) => ({ existingBucketObj: s3.Bucket.fromBucketName(s, 'B', 'team-documents'), bucketProps: {} }), /existingBucketObj and bucketProps cannot be combined/],
    ['existingKey with keyProps', (s) => ({ existingKey: new ManagedKey(s, 'K'), keyProps: {} }), /existingKey and keyProps cannot be combined/],
    ['S3-managed encryption', () => ({ bucketProps: { encryption: s3.BucketEncryption.S3_MANAGED } }), /encryption must be KMS/],
    ['an own encryption key', (s) => ({ bucketProps: { encryptionKey: new kms.Key(s, 'K') } }), /pass the key as existingKey/],
    ['no bucket key', () => ({ bucketProps: { bucketKeyEnabled: false } }), /bucketKeyEnabled cannot be false/],
    ['public read', () => ({ bucketProps: { publicReadAccess: true } }), /publicReadAccess/],
    ['partial public access block', () => ({ bucketProps: { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS } }), /block all public access/],
    ['no TLS enforcement', () => ({ bucketProps: { enforceSSL: false } }), /enforceSSL cannot be false/],
    ['no versioning', () => ({ bucketProps: { versioned: false } }), /versioned cannot be false/],
    ['a prefix without a trailing slash', () => ({ intakePrefix: 'intake' }), /intakePrefix 'intake' must be a literal S3 key prefix/],
    ['a prefix with ..', () => ({ protectedPrefix: 'a/../' }), /protectedPrefix/],
    ['overlapping prefixes', () => ({ intakePrefix: 'data/', protectedPrefix: 'data/protected/' }), /overlap/],
    ['a signing suite', () => ({ algorithmSuite: EnvelopeAlgorithmSuite.COMMITTING_SIGNED }), /COMMITTING_SIGNED is not supported/],
    ['an asymmetric key', (s) => ({ existingKey: new ManagedKey(s, 'K', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY }) }), /SYMMETRIC_DEFAULT ENCRYPT_DECRYPT/],
  ])('%s', (_name, props, message) => {
    const s = stack();
    expect(() => new EnvelopeEncryptedBucket(s, 'Docs', props(s))).toThrow(message);
  });

  test('errors name the construct path', () => {
    const s = stack();
    expect(() => new EnvelopeEncryptedBucket(s, 'Docs', { intakePrefix: '' })).toThrow(/^Stack\/Docs: /);
  });

  test('an existing bucket encrypted with the envelope key needs a literal name (no dependency cycle)', () => {
    const s = stack();
    const key = new ManagedKey(s, 'Key');
    const bucket = new s3.Bucket(s, 'Existing', { encryptionKey: key });
    expect(() => new EnvelopeEncryptedBucket(s, 'Docs', { existingBucketObj: bucket, existingKey: key })).toThrow(/literal bucketName/);
  });
});

describe('with an existing bucket', () => {
  test('an imported bucket: no new bucket, the notification and the context use its name', () => {
    const s = new Stack(new App(), 'Stack');
    const docs = new EnvelopeEncryptedBucket(s, 'Docs', { existingBucketObj: s3.Bucket.fromBucketName(s, 'Existing', 'team-documents') });
    const t = synthTemplate(s);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'team-documents' });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Condition: Match.objectLike({ StringEquals: { 'kms:EncryptionContext:bucket': 'team-documents' } }) })]) },
    });
    expect(docs.bucket.bucketName).toBe('team-documents');
  });

  test('an s3.Bucket with its own name and the envelope key gets SSE grants through S3', () => {
    const s = new Stack(new App(), 'Stack');
    const key = new ManagedKey(s, 'Key');
    const bucket = new s3.Bucket(s, 'Existing', { bucketName: 'team-documents', encryptionKey: key, bucketKeyEnabled: true });
    new EnvelopeEncryptedBucket(s, 'Docs', { existingBucketObj: bucket, existingKey: key });
    const t = synthTemplate(s);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: Match.objectLike({ StringEquals: { 'kms:EncryptionContext:bucket': 'team-documents' } }) }),
          Match.objectLike({ Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } } }),
        ]),
      },
    });
  });
});

test('bucketProps overrides that keep it secure are applied', () => {
  const { stack } = build({ bucketProps: { bucketName: 'my-docs', lifecycleRules: [{ id: 'Archive', prefix: 'protected/archive/', expiration: Duration.days(3650) }] } });
  const t = synthTemplate(stack);
  t.hasResourceProperties('AWS::S3::Bucket', {
    BucketName: 'my-docs',
    LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'Archive' })]) },
  });
});

describe('compliance', () => {
  test('no unaccepted cdk-nag AwsSolutions finding', () => {
    const stack = new Stack(new App(), 'Stack');
    new EnvelopeEncryptedBucket(stack, 'Docs');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the key passes the Control Tower KMS controls that apply', () => {
    const checks = controlTowerKmsChecks(json);
    expect(checks['CT.KMS.PR.1'].status).toBe('PASS');
    expect(checks['CT.KMS.PR.3'].status).toBe('PASS');
  });
});

test('snapshot (asset hashes replaced)', () => {
  expect(stableTemplateJson(json)).toMatchSnapshot();
});
