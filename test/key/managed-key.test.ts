import { App, CliCredentialsStackSynthesizer, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  KeyActions, KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey, ManagedKeyProps, KeyOrigin,
} from '../../src';
import { whyRotationImpossible } from '../../src/key/validation';
import { stableTemplateJson, synthTemplate } from '../support/template';

const ENV = { account: '111111111111', region: 'eu-west-1' };

interface Fixture {
  readonly app: App;
  readonly stack: Stack;
  readonly operator: iam.Role;
  readonly appRole: iam.Role;
  readonly reportRole: iam.Role;
}

function fixture(): Fixture {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: ENV });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { app, stack, operator: role('Operator'), appRole: role('App'), reportRole: role('Report') };
}

function keyPolicy(template: Template, logicalIdPrefix = 'Key'): any {
  const keys = template.findResources('AWS::KMS::Key');
  const id = Object.keys(keys).find((k) => k.startsWith(logicalIdPrefix))!;
  return keys[id].Properties.KeyPolicy;
}

function statement(template: Template, sid: string): any {
  const found = keyPolicy(template).Statement.find((s: any) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(keyPolicy(template).Statement.map((s: any) => s.Sid))}`);
  return found;
}

function asList(value: any): any[] {
  return Array.isArray(value) ? value : [value];
}

function newKey(f: Fixture, props: ManagedKeyProps = {}): ManagedKey {
  return new ManagedKey(f.stack, 'Key', props);
}

describe('ManagedKey defaults', () => {
  test('symmetric key, rotation every 365 days, 30-day pending window, retained', () => {
    const f = fixture();
    newKey(f);
    const template = synthTemplate(f.stack);
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EnableKeyRotation: true,
        RotationPeriodInDays: 365,
        PendingWindowInDays: 30,
      },
    });
  });

  test('IAM_DELEGATED: the account root holds kms:* and nobody else is named', () => {
    const f = fixture();
    newKey(f);
    const template = synthTemplate(f.stack);
    const root = statement(template, 'AccountRootDelegatesToIam');
    expect(root.Action).toBe('kms:*');
    expect(JSON.stringify(root.Principal)).toContain(':iam::111111111111:root');
    const sids = keyPolicy(template).Statement.map((s: any) => s.Sid);
    expect(sids).toEqual(['AccountRootDelegatesToIam', 'DenyCreateGrantExceptForAwsResources']);
  });

  test('the CreateGrant guard is the CT.KMS.PR.3 statement, and can be turned off', () => {
    const f = fixture();
    newKey(f);
    expect(statement(synthTemplate(f.stack), 'DenyCreateGrantExceptForAwsResources')).toEqual({
      Sid: 'DenyCreateGrantExceptForAwsResources',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    });
    const g = fixture();
    newKey(g, { createGrantGuard: false });
    expect(keyPolicy(synthTemplate(g.stack)).Statement.map((s: any) => s.Effect)).not.toContain('Deny');
  });

  test('key-policy statements use explicit actions only, except the account-root statement', () => {
    const f = fixture();
    newKey(f, {
      administrators: [f.operator],
      users: [KeyUser.encryptDecrypt(f.appRole), KeyUser.decrypt(f.reportRole)],
      services: [KeyService.cloudWatchLogs(), KeyService.cloudTrail()],
    });
    for (const s of keyPolicy(synthTemplate(f.stack)).Statement) {
      if (s.Sid === 'AccountRootDelegatesToIam') continue;
      for (const action of asList(s.Action)) expect(action).not.toContain('*');
    }
  });
});

describe('aliases', () => {
  test('names become alias/<name>, several allowed, addAlias adds more', () => {
    const f = fixture();
    const key = newKey(f, { aliases: ['orders', 'alias/orders-eu'] });
    key.addAlias('orders-archive');
    const template = synthTemplate(f.stack);
    const names = Object.values(template.findResources('AWS::KMS::Alias')).map((a: any) => a.Properties.AliasName);
    expect(names.sort()).toEqual(['alias/orders', 'alias/orders-archive', 'alias/orders-eu']);
    expect(key.aliases).toEqual(['alias/orders', 'alias/orders-eu', 'alias/orders-archive']);
  });

  test.each([
    ['alias/', /has no name/],
    ['alias/aws/mine', /reserved for AWS managed keys/],
    ['orders key!', /characters KMS does not allow/],
    ['x'.repeat(251), /KMS allows 256: shorten it/],
  ])('alias %s is rejected', (alias, message) => {
    const f = fixture();
    expect(() => newKey(f, { aliases: [alias] })).toThrow(message);
  });

  test('a duplicated alias is rejected, naming the construct path', () => {
    const f = fixture();
    expect(() => newKey(f, { aliases: ['orders', 'alias/orders'] })).toThrow(/^Platform\/Key: alias 'alias\/orders' is given twice/);
    const g = fixture();
    const key = newKey(g, { aliases: ['orders'] });
    expect(() => key.addAlias('orders')).toThrow(/given twice/);
  });
});

describe('administrators', () => {
  test('get the lifecycle catalogue and no cryptographic action', () => {
    const f = fixture();
    newKey(f, { administrators: [f.operator] });
    const admin = statement(synthTemplate(f.stack), 'KeyAdministration');
    expect(admin.Action).toEqual([...KeyActions.ADMINISTER, ...KeyActions.CHANGE_POLICY].sort());
    expect(admin.Principal).toEqual({ AWS: { 'Fn::GetAtt': [expect.stringMatching(/^Operator/), 'Arn'] } });
    for (const action of KeyActions.CRYPTOGRAPHIC_USE) expect(admin.Action).not.toContain(action);
    expect(admin.Action).not.toContain('kms:CreateGrant');
  });

  test('of a multi-Region key may replicate it', () => {
    const f = fixture();
    newKey(f, { administrators: [f.operator], multiRegion: true });
    const template = synthTemplate(f.stack);
    expect(statement(template, 'KeyAdministration').Action).toEqual(expect.arrayContaining(['kms:ReplicateKey', 'kms:UpdatePrimaryRegion']));
    template.hasResourceProperties('AWS::KMS::Key', { MultiRegion: true });
  });

  test('of a key with imported material may import it, and rotation is off', () => {
    const f = fixture();
    newKey(f, { administrators: [f.operator], origin: KeyOrigin.EXTERNAL });
    const template = synthTemplate(f.stack);
    expect(statement(template, 'KeyAdministration').Action).toEqual(expect.arrayContaining(KeyActions.ADMINISTER_IMPORTED_MATERIAL));
    template.hasResourceProperties('AWS::KMS::Key', { Origin: 'EXTERNAL', EnableKeyRotation: false, RotationPeriodInDays: Match.absent() });
  });

  test('a principal that is both administrator and user is an error unless allowed', () => {
    const f = fixture();
    newKey(f, { administrators: [f.operator], users: [KeyUser.decrypt(f.operator)] });
    expect(() => f.app.synth()).toThrow(/\[Platform\/Key\] Platform\/Operator is both administrator and user of the key/);

    const g = fixture();
    const key = newKey(g, { administrators: [g.operator] });
    key.grantDecrypt(g.operator);
    expect(() => g.app.synth()).toThrow(/separation of duties/);

    const h = fixture();
    newKey(h, { administrators: [h.operator], users: [KeyUser.decrypt(h.operator)], allowAdministratorAsUser: true });
    expect(() => h.app.synth()).not.toThrow();
  });
});

describe('users by capability', () => {
  test.each([
    [KeyCapability.ENCRYPT, {}, KeyActions.ENCRYPT_SYMMETRIC],
    [KeyCapability.DECRYPT, {}, KeyActions.DECRYPT_SYMMETRIC],
    [KeyCapability.ENCRYPT_DECRYPT, {}, [...KeyActions.ENCRYPT_SYMMETRIC, ...KeyActions.DECRYPT_SYMMETRIC]],
    [KeyCapability.ENCRYPT, { keySpec: kms.KeySpec.RSA_3072 }, KeyActions.ENCRYPT_ASYMMETRIC],
    [KeyCapability.DECRYPT, { keySpec: kms.KeySpec.RSA_3072 }, KeyActions.DECRYPT_ASYMMETRIC],
    [KeyCapability.SIGN, { keySpec: kms.KeySpec.ECC_NIST_P256 }, KeyActions.SIGN],
    [KeyCapability.VERIFY, { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY }, KeyActions.VERIFY],
    [KeyCapability.SIGN_VERIFY, { keySpec: kms.KeySpec.ML_DSA_65 }, [...KeyActions.SIGN, ...KeyActions.VERIFY]],
    [KeyCapability.GENERATE_MAC, { keySpec: kms.KeySpec.HMAC_256 }, KeyActions.GENERATE_MAC],
    [KeyCapability.VERIFY_MAC, { keySpec: kms.KeySpec.HMAC_512 }, KeyActions.VERIFY_MAC],
    [KeyCapability.GENERATE_VERIFY_MAC, { keySpec: kms.KeySpec.HMAC_384 }, [...KeyActions.GENERATE_MAC, ...KeyActions.VERIFY_MAC]],
    [
      KeyCapability.DERIVE_SHARED_SECRET,
      { keySpec: kms.KeySpec.ECC_NIST_P384, keyUsage: kms.KeyUsage.KEY_AGREEMENT },
      KeyActions.DERIVE_SHARED_SECRET,
    ],
  ])('%s on %o gets exactly its catalogue actions', (capability, props, expected) => {
    const f = fixture();
    newKey(f, { ...props, users: [KeyUser.of(f.appRole, capability)] });
    const template = synthTemplate(f.stack);
    const use = keyPolicy(template).Statement.find((s: any) => String(s.Sid).startsWith('Use'));
    expect(asList(use.Action)).toEqual([...new Set(expected)].sort());
  });

  test('default key usage follows the key spec', () => {
    const f = fixture();
    new ManagedKey(f.stack, 'Ecc', { keySpec: kms.KeySpec.ECC_NIST_P256 });
    new ManagedKey(f.stack, 'Hmac', { keySpec: kms.KeySpec.HMAC_256 });
    const template = synthTemplate(f.stack);
    template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', EnableKeyRotation: false });
    template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', EnableKeyRotation: false });
  });

  test('principals with the same capability and conditions share one statement', () => {
    const f = fixture();
    newKey(f, { users: [KeyUser.encryptDecrypt(f.appRole), KeyUser.encryptDecrypt(f.reportRole)] });
    const uses = keyPolicy(synthTemplate(f.stack)).Statement.filter((s: any) => String(s.Sid).startsWith('Use'));
    expect(uses).toHaveLength(1);
    expect(uses[0].Principal.AWS).toHaveLength(2);
  });

  test('a capability the key cannot do is an error', () => {
    const f = fixture();
    expect(() => newKey(f, { users: [KeyUser.sign(f.appRole)] }))
      .toThrow(/Platform\/Key: a SYMMETRIC_DEFAULT key with usage ENCRYPT_DECRYPT cannot sign \(that needs usage SIGN_VERIFY\)/);
    const g = fixture();
    const key = newKey(g, { keySpec: kms.KeySpec.HMAC_256 });
    expect(() => key.grantEncryptDecrypt(g.appRole)).toThrow(/cannot encrypt decrypt/);
  });
});

describe('conditions', () => {
  test('exact encryption-context pairs, required keys and allowed keys', () => {
    const f = fixture();
    newKey(f, {
      users: [KeyUser.decrypt(f.reportRole, {
        encryptionContext: { tenant: 'acme' },
        requiredEncryptionContextKeys: ['order-id'],
        allowedEncryptionContextKeys: ['tenant', 'order-id'],
      })],
    });
    expect(statement(synthTemplate(f.stack), 'UseDecrypt').Condition).toEqual({
      'StringEquals': { 'kms:EncryptionContext:tenant': 'acme' },
      'Null': { 'kms:EncryptionContext:order-id': 'false', 'kms:EncryptionContextKeys': 'false' },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'order-id'] },
    });
  });

  test('viaService uses the Region-correct endpoint with the partition URL suffix', () => {
    const f = fixture();
    newKey(f, { users: [KeyUser.viaService(f.appRole, 'dynamodb', { additionalServices: ['s3'] })] });
    const use = statement(synthTemplate(f.stack), 'UseEncryptDecrypt');
    expect(use.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': [
          { 'Fn::Join': ['', ['dynamodb.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
          { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
        ],
      },
    });
  });

  test('cross-account users, caller account and organization conditions', () => {
    const f = fixture();
    newKey(f, {
      users: [
        KeyUser.crossAccount('222222222222', KeyCapability.DECRYPT, { callerAccount: '222222222222' }),
        KeyUser.encrypt(new iam.AnyPrincipal(), { principalOrgId: 'o-abc123def0' }),
      ],
    });
    const template = synthTemplate(f.stack);
    const decrypt = statement(template, 'UseDecrypt');
    expect(JSON.stringify(decrypt.Principal)).toContain(':iam::222222222222:root');
    expect(decrypt.Condition).toEqual({ StringEquals: { 'kms:CallerAccount': '222222222222' } });
    expect(statement(template, 'UseEncrypt').Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def0' } });
  });

  test('grants for AWS resources are pinned with kms:GrantIsForAWSResource', () => {
    const f = fixture();
    newKey(f, { users: [KeyUser.grantForAwsResources(f.appRole)] });
    const use = statement(synthTemplate(f.stack), 'UseGrantForAwsResources');
    expect(use.Action).toEqual(['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant']);
    expect(use.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
  });

  test('service principals carry aws:SourceAccount or aws:SourceArn', () => {
    const f = fixture();
    newKey(f, {
      services: [
        KeyService.cloudWatchLogs(),
        KeyService.cloudTrail({ trailArn: 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/org' }),
        KeyService.custom('sns.amazonaws.com', KeyCapability.ENCRYPT_DECRYPT),
      ],
    });
    const template = synthTemplate(f.stack);
    expect(statement(template, 'ServiceCloudWatchLogs').Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111111111111' },
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:*']] } },
    });
    const trail = statement(template, 'ServiceCloudTrail');
    expect(trail.Action).toEqual(['kms:DescribeKey', 'kms:GenerateDataKey']);
    expect(trail.Condition.ArnLike).toEqual({ 'aws:SourceArn': 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/org' });
    expect(statement(template, 'Servicesns').Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '111111111111' } });
  });

  test.each([
    [{ encryptionContext: { '': 'x' } }, /encryption-context key is empty/],
    [{ encryptionContext: { tenant: ' ' } }, /encryption-context value of 'tenant' is empty/],
    [{ requiredEncryptionContextKeys: [''] }, /is empty/],
    [{ encryptionContext: { tenant: 'a' }, allowedEncryptionContextKeys: ['other'] }, /not in allowedEncryptionContextKeys/],
  ])('bad encryption-context options %o are rejected', (options, message) => {
    const f = fixture();
    expect(() => newKey(f, { users: [KeyUser.decrypt(f.appRole, options)] })).toThrow(message);
  });

  test('a wildcard principal without a restricting condition is rejected', () => {
    const f = fixture();
    expect(() => newKey(f, { users: [KeyUser.decrypt(new iam.AnyPrincipal())] }))
      .toThrow(/Platform\/Key: a wildcard principal \(\*\) needs a restricting condition/);
  });
});

describe('STRICT posture', () => {
  test('no account-root statement; the CloudFormation execution role manages the policy', () => {
    const f = fixture();
    newKey(f, { posture: KeyPolicyPosture.STRICT, administrators: [f.operator] });
    const template = synthTemplate(f.stack);
    const sids = keyPolicy(template).Statement.map((s: any) => s.Sid);
    expect(sids).not.toContain('AccountRootDelegatesToIam');
    const manager = statement(template, 'PolicyManagerForCloudFormation');
    expect(manager.Principal).toEqual({
      AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1' },
    });
    expect(manager.Action).toEqual([...KeyActions.CLOUDFORMATION_MANAGEMENT].sort());
    const admin = statement(template, 'KeyAdministration');
    expect(admin.Action).not.toContain('kms:PutKeyPolicy');
    expect(admin.Action).not.toContain('kms:CreateGrant');
  });

  test('a named policy manager replaces the execution role', () => {
    const f = fixture();
    const deployer = iam.Role.fromRoleArn(f.stack, 'Deployer', 'arn:aws:iam::111111111111:role/deployer');
    newKey(f, { posture: KeyPolicyPosture.STRICT, policyManager: deployer });
    expect(statement(synthTemplate(f.stack), 'PolicyManagerForCloudFormation').Principal)
      .toEqual({ AWS: 'arn:aws:iam::111111111111:role/deployer' });
  });

  test('without a CloudFormation execution role and no policy manager it is an error that says what to do', () => {
    const app = new App();
    const stack = new Stack(app, 'Cli', { env: ENV, synthesizer: new CliCredentialsStackSynthesizer() });
    expect(() => new ManagedKey(stack, 'Key', { posture: KeyPolicyPosture.STRICT }))
      .toThrow(/Cli\/Key: the STRICT posture needs a policy manager.*pass policyManager/);
  });

  test('grants go to the key policy, the only source of access', () => {
    const f = fixture();
    const key = newKey(f, { posture: KeyPolicyPosture.STRICT });
    key.grantEncryptDecrypt(f.appRole);
    const template = synthTemplate(f.stack);
    const granted = keyPolicy(template).Statement.find((s: any) => !s.Sid);
    expect(granted.Principal).toEqual({ AWS: { 'Fn::GetAtt': [expect.stringMatching(/^App/), 'Arn'] } });
    expect(granted.Action).toEqual([...new Set([...KeyActions.ENCRYPT_SYMMETRIC, ...KeyActions.DECRYPT_SYMMETRIC])].sort());
    // The guard stays the last statement.
    expect(keyPolicy(template).Statement.at(-1).Sid).toBe('DenyCreateGrantExceptForAwsResources');
  });
});

describe('IKey grants', () => {
  test('IAM_DELEGATED grants go to the identity policy with explicit actions', () => {
    const f = fixture();
    const key = newKey(f);
    key.grantEncrypt(f.appRole);
    const template = synthTemplate(f.stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^App') }],
      PolicyDocument: { Statement: [{ Action: [...KeyActions.ENCRYPT_SYMMETRIC].sort(), Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } }] },
    });
  });

  test('a wildcard action is expanded to the explicit actions it covers (never written as a wildcard)', () => {
    const f = fixture();
    const key = newKey(f);
    key.grant(f.appRole, 'kms:GenerateDataKey*');
    synthTemplate(f.stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({
          Action: ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext'],
        })],
      },
    });
  });

  test('a name that is not a KMS key action is rejected, naming the valid ones', () => {
    const f = fixture();
    const key = newKey(f);
    expect(() => key.grant(f.appRole, 'kms:Bogus')).toThrow(/"kms:Bogus" is not a KMS key action: the actions of this key are .*kms:Decrypt/);
  });

  test('works as the encryption key of an S3 bucket, and bucket.grantRead reaches the key', () => {
    const f = fixture();
    const key = newKey(f, { posture: KeyPolicyPosture.STRICT });
    const bucket = new s3.Bucket(f.stack, 'Bucket', { encryptionKey: key, enforceSSL: true });
    bucket.grantRead(f.reportRole);
    const template = synthTemplate(f.stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] }, SSEAlgorithm: 'aws:kms' } }] },
    });
    const decrypt = keyPolicy(template).Statement.find((s: any) => JSON.stringify(s.Principal ?? {}).includes('Report'));
    expect(asList(decrypt.Action)).toContain('kms:Decrypt');
  });

  test('fromKeyArn imports a key made elsewhere', () => {
    const f = fixture();
    const key = ManagedKey.fromKeyArn(f.stack, 'Imported', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(key.keyId).toBe('1234abcd-12ab-34cd-56ef-1234567890ab');
  });
});

describe('rotation and deletion', () => {
  test('a custom period', () => {
    const f = fixture();
    newKey(f, { rotation: { period: Duration.days(180) }, pendingWindow: Duration.days(7), removalPolicy: RemovalPolicy.DESTROY });
    const template = synthTemplate(f.stack);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: { RotationPeriodInDays: 180, PendingWindowInDays: 7 } });
  });

  test.each([
    ['rotation on RSA', { keySpec: kms.KeySpec.RSA_2048, rotation: { enabled: true } }, /a RSA_2048 key cannot rotate automatically/],
    ['a rotation period on HMAC', { keySpec: kms.KeySpec.HMAC_256, rotation: { period: Duration.days(100) } }, /a HMAC_256 key cannot rotate/],
    ['rotation with imported material', { origin: KeyOrigin.EXTERNAL, rotation: { enabled: true } }, /imported key material \(origin EXTERNAL\) cannot rotate/],
    ['a rotation period of 89 days', { rotation: { period: Duration.days(89) } }, /from 90 to 2560/],
    ['a rotation period of 2561 days', { rotation: { period: Duration.days(2561) } }, /from 90 to 2560/],
    ['a period with rotation off', { rotation: { enabled: false, period: Duration.days(100) } }, /rotation is disabled/],
    ['a pending window of 6 days', { pendingWindow: Duration.days(6) }, /from 7 to 30/],
    ['a pending window of 31 days', { pendingWindow: Duration.days(31) }, /from 7 to 30/],
    ['SIGN_VERIFY on a symmetric key', { keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, keyUsage: kms.KeyUsage.SIGN_VERIFY }, /does not support key usage SIGN_VERIFY: use ENCRYPT_DECRYPT/],
    ['KEY_AGREEMENT on secp256k1', { keySpec: kms.KeySpec.ECC_SECG_P256K1, keyUsage: kms.KeyUsage.KEY_AGREEMENT }, /does not support key usage KEY_AGREEMENT/],
  ])('%s is rejected', (_name, props, message) => {
    const f = fixture();
    expect(() => newKey(f, props as ManagedKeyProps)).toThrow(message);
  });

  test('a key in a custom key store cannot rotate', () => {
    expect(whyRotationImpossible({ keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, importedMaterial: false, customKeyStore: true }))
      .toMatch(/custom key store/);
  });
});

describe('policy size', () => {
  test('a policy over 32 KB is a synth error naming the biggest statements', () => {
    const f = fixture();
    const key = newKey(f);
    for (let i = 0; i < 120; i++) {
      key.addUser(KeyUser.decrypt(f.appRole, { encryptionContext: { tenant: `tenant-${i}-${'x'.repeat(200)}` } }));
    }
    expect(() => f.app.synth()).toThrow(/over the 32768-byte limit of KMS; the biggest statements: UseDecrypt/);
  });
});

test('snapshot of a realistic key', () => {
  const f = fixture();
  newKey(f, {
    description: 'Orders data',
    aliases: ['orders'],
    administrators: [f.operator],
    users: [
      KeyUser.encryptDecrypt(f.appRole),
      KeyUser.decrypt(f.reportRole, { encryptionContext: { tenant: 'acme' } }),
    ],
    services: [KeyService.cloudWatchLogs()],
    rotation: { period: Duration.days(180) },
  });
  expect(stableTemplateJson(synthTemplate(f.stack))).toMatchSnapshot();
});

describe('STRICT grants across stacks and accounts', () => {
  test('a grantee in another stack of the account gets a key-policy statement and no cycle', () => {
    const app = new App();
    const keyStack = new Stack(app, 'Keys', { env: ENV });
    const appStack = new Stack(app, 'Apps', { env: ENV });
    const key = new ManagedKey(keyStack, 'Key', { posture: KeyPolicyPosture.STRICT });
    const role = new iam.Role(appStack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantDecrypt(role);
    const keys = synthTemplate(keyStack);
    const granted = keyPolicy(keys).Statement.find((s: any) => !s.Sid);
    expect(asList(granted.Action)).toContain('kms:Decrypt');
    expect(synthTemplate(appStack).findResources('AWS::IAM::Policy')).toEqual({});
  });

  test('a grantee of another account is named in the key policy and its IAM policy', () => {
    const f = fixture();
    const key = newKey(f, { posture: KeyPolicyPosture.STRICT });
    const foreign = iam.Role.fromRoleArn(f.stack, 'Foreign', 'arn:aws:iam::333333333333:role/reader', { mutable: false });
    key.grantDecrypt(foreign);
    const granted = keyPolicy(synthTemplate(f.stack)).Statement.find((s: any) => !s.Sid);
    expect(granted.Principal).toEqual({ AWS: 'arn:aws:iam::333333333333:role/reader' });
  });
});
