/**
 * ReplicaKey and MultiRegionKey: the primary's and every replica's template in both postures,
 * per-Region options, replicas of a primary made elsewhere, and the synth-time errors.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACCOUNT, multiRegionApp, PRIMARY_REGION, REPLICA_REGIONS } from './fixtures';
import { KeyOrigin, KeyPolicyPosture, KeyUser, ManagedKey, MultiRegionKey, ReplicaKey } from '../../src';
import { KeyAccess } from '../support/iam';
import { synthTemplate } from '../support/template';

const PRIMARY_ARN = `arn:aws:kms:${PRIMARY_REGION}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const execRole = (region: string) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${region}`;

/**
 * The key policy of the only key of a template, resolved (roles of the primary stack are GetAtt
 * there and ARNs in replica stacks), with its Region as a placeholder (ViaService endpoints,
 * execution roles name it literally).
 */
function keyPolicyOf(template: Template, region: string): any {
  return JSON.parse(JSON.stringify(KeyAccess.of(template).keyPolicy).split(region).join('<REGION>'));
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s multi-Region key', (posture) => {
  const f = multiRegionApp(posture);
  const primary = synthTemplate(f.primaryStack);
  const replicas = f.replicaStacks.map((stack) => synthTemplate(stack));

  test('the primary is a multi-Region key with rotation on, retained, and publishes its ARN in its Region', () => {
    primary.hasResource('AWS::KMS::Key', {
      Properties: { MultiRegion: true, EnableKeyRotation: true, RotationPeriodInDays: 365, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    primary.hasResourceProperties('AWS::SSM::Parameter', {
      Type: 'String',
      Name: Match.stringLikeRegexp('^/cdk-kms-patterns/multi-region-keys/Primary/'),
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] },
    });
    primary.resourceCountIs('Custom::AWS', 0);
  });

  test.each(REPLICA_REGIONS.map((region, i) => [region, i]))('the replica in %s is an AWS::KMS::ReplicaKey of the primary, retained, with its aliases', (_region, i) => {
    const replica = replicas[i];
    replica.resourceCountIs('AWS::KMS::Key', 0);
    replica.hasResource('AWS::KMS::ReplicaKey', {
      Properties: {
        PrimaryKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKeyPrimaryKeyArn'), 'Parameter.Value'] },
        PendingWindowInDays: 30,
        Description: 'Orders data in every Region',
        EnableKeyRotation: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Metadata: {
        'cdk-kms-patterns:primaryKey': {
          StackName: 'Primary',
          StackPath: 'Primary',
          LogicalId: f.primaryStack.resolve(f.key.resource.logicalId),
          Region: PRIMARY_REGION,
          Account: ACCOUNT,
          ReplicaRegion: REPLICA_REGIONS[i],
        },
      },
    });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/orders' });
  });

  test('each replica stack reads the primary ARN from the primary Region, allowed that one parameter only', () => {
    const parameterName = primary.toJSON().Resources[Object.keys(primary.findResources('AWS::SSM::Parameter'))[0]].Properties.Name;
    for (const replica of replicas) {
      const [reader] = Object.values(replica.findResources('Custom::AWS')) as any[];
      const call = JSON.parse(reader.Properties.Create);
      expect(call).toEqual({
        service: 'SSM',
        action: 'getParameter',
        parameters: { Name: parameterName },
        region: PRIMARY_REGION,
        physicalResourceId: { id: parameterName },
      });
      expect(JSON.parse(reader.Properties.Update)).toEqual(call);
      replica.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [{
            Action: 'ssm:GetParameter',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:${PRIMARY_REGION}:${ACCOUNT}:parameter${parameterName}`]] },
          }],
        },
      });
    }
  });

  test('every replica policy is the primary policy with its own Region (ViaService, execution role)', () => {
    const primaryPolicy = keyPolicyOf(primary, PRIMARY_REGION);
    // In STRICT the primary also lets each replica Region's execution role replicate it.
    const withoutReplication = {
      ...primaryPolicy,
      Statement: primaryPolicy.Statement.filter((s: any) => !String(s.Sid).startsWith('ReplicateTo')),
    };
    REPLICA_REGIONS.forEach((region, i) => {
      expect(keyPolicyOf(replicas[i], region)).toEqual(withoutReplication);
      const statements = replicas[i].toJSON().Resources[Object.keys(replicas[i].findResources('AWS::KMS::ReplicaKey'))[0]].Properties.KeyPolicy.Statement;
      const via = statements.find((s: any) => s.Condition?.StringEquals?.['kms:ViaService']);
      expect(via.Condition.StringEquals['kms:ViaService']).toEqual({ 'Fn::Join': ['', [`dynamodb.${region}.`, { Ref: 'AWS::URLSuffix' }]] });
    });
  });

  test('the account-root statement exists in IAM_DELEGATED only; STRICT names each Region\'s execution role', () => {
    REPLICA_REGIONS.forEach((region, i) => {
      const statements = keyPolicyOf(replicas[i], 'none').Statement;
      const root = statements.find((s: any) => s.Sid === 'AccountRootDelegatesToIam');
      const manager = statements.find((s: any) => s.Sid === 'PolicyManagerForCloudFormation');
      if (posture === KeyPolicyPosture.IAM_DELEGATED) {
        expect(root).toBeDefined();
        expect(manager).toBeUndefined();
      } else {
        expect(root).toBeUndefined();
        expect(manager.Principal).toEqual({ AWS: execRole(region) });
      }
    });
  });

  test('STRICT: the primary lets exactly the replica Regions\' execution roles replicate it', () => {
    const replication = keyPolicyOf(primary, 'none').Statement.filter((s: any) => String(s.Sid).startsWith('ReplicateTo'));
    if (posture === KeyPolicyPosture.IAM_DELEGATED) {
      expect(replication).toEqual([]);
      return;
    }
    expect(replication).toEqual(REPLICA_REGIONS.map((region) => ({
      Sid: `ReplicateTo${region.replace(/-/g, '')}`,
      Effect: 'Allow',
      Principal: { AWS: execRole(region) },
      Action: ['kms:DescribeKey', 'kms:ReplicateKey'],
      Resource: '*',
    })));
  });

  test('a replica works with aws-cdk-lib: a bucket encrypted with it grants reads', () => {
    const app = new App();
    const env = (region: string) => ({ account: ACCOUNT, region });
    const key = new MultiRegionKey(new Stack(app, 'P', { env: env(PRIMARY_REGION) }), 'Key', { posture });
    const stack = new Stack(app, 'R', { env: env('eu-west-1') });
    const replica = key.replicateTo(stack);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new s3.Bucket(stack, 'Bucket', { encryptionKey: replica, enforceSSL: true }).grantRead(reader);
    const template = synthTemplate(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }] },
    });
    const decrypt = Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt']) })]);
    if (posture === KeyPolicyPosture.IAM_DELEGATED) {
      template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: decrypt } });
    } else {
      template.hasResourceProperties('AWS::KMS::ReplicaKey', { KeyPolicy: { Statement: decrypt } });
    }
  });
});

describe('per-Region options', () => {
  function twoRegions() {
    const app = new App();
    const env = (region: string) => ({ account: ACCOUNT, region });
    const primaryStack = new Stack(app, 'P', { env: env(PRIMARY_REGION) });
    const replicaStack = new Stack(app, 'R', { env: env('eu-west-1') });
    const user = (id: string) => iam.Role.fromRoleArn(primaryStack, id, `arn:aws:iam::${ACCOUNT}:role/${id}`);
    const key = new MultiRegionKey(primaryStack, 'Key', { aliases: ['orders'], users: [KeyUser.encryptDecrypt(user('app'))] });
    return { app, primaryStack, replicaStack, key, user };
  }

  test('users, aliases, pending window, removal policy, enabled and tags can differ per Region', () => {
    const { replicaStack, key, user } = twoRegions();
    key.replicateTo(replicaStack, {
      users: [KeyUser.decrypt(user('reader'))],
      aliases: ['orders-eu'],
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
      enabled: false,
      tags: { team: 'orders' },
    });
    const template = synthTemplate(replicaStack);
    template.hasResource('AWS::KMS::ReplicaKey', {
      Properties: {
        PendingWindowInDays: 7,
        Enabled: false,
        Tags: [{ Key: 'team', Value: 'orders' }],
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'UseDecrypt', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` } })]) },
      },
      DeletionPolicy: 'Delete',
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('role/app');
    template.resourcePropertiesCountIs('AWS::KMS::Alias', { AliasName: 'alias/orders-eu' }, 1);
    template.resourcePropertiesCountIs('AWS::KMS::Alias', { AliasName: 'alias/orders' }, 0);
  });

  test('users and aliases added to the primary later are the replicas\' too (unless overridden)', () => {
    const { replicaStack, key, user } = twoRegions();
    const replica = key.replicateTo(replicaStack);
    key.addUser(KeyUser.decrypt(user('late')));
    key.addAlias('orders-v2');
    expect(replica.aliases).toEqual(['alias/orders', 'alias/orders-v2']);
    const template = synthTemplate(replicaStack);
    template.hasResourceProperties('AWS::KMS::ReplicaKey', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/late` } })]) },
    });
  });

  test('a DynamoDB global table (TableV2) encrypts each replica with the key of its Region', () => {
    const { primaryStack, replicaStack, key } = twoRegions();
    key.replicateTo(replicaStack);
    new dynamodb.TableV2(primaryStack, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      replicas: [{ region: 'eu-west-1' }],
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key, { 'eu-west-1': key.keyArnIn('eu-west-1') }),
    });
    const keyId = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'KeyId'] };
    synthTemplate(primaryStack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: Match.arrayWith([Match.objectLike({
        Region: 'eu-west-1',
        SSESpecification: { KMSMasterKeyId: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${ACCOUNT}:key/`, keyId]] } },
      })]),
    });
  });

  test('replicaIn finds the replica of a Region', () => {
    const { replicaStack, key } = twoRegions();
    const replica = key.replicateTo(replicaStack);
    expect(key.replicaIn('eu-west-1')).toBe(replica);
    expect(key.replicaIn('us-west-2')).toBeUndefined();
    expect(key.replicas).toEqual([replica]);
  });

  test('a replica of a primary made elsewhere, by ARN, uses that ARN and needs no reader', () => {
    const stack = new Stack(new App(), 'R', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    new ReplicaKey(stack, 'Replica', {
      primaryKeyArn: PRIMARY_ARN,
      administrators: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`)],
      posture: KeyPolicyPosture.STRICT,
    });
    const template = synthTemplate(stack);
    template.hasResourceProperties('AWS::KMS::ReplicaKey', { PrimaryKeyArn: PRIMARY_ARN });
    template.resourceCountIs('Custom::AWS', 0);
  });
});

describe('bad input is a synth error naming the construct and the fix', () => {
  const env = (region: string, account = ACCOUNT) => ({ account, region });
  const primaryIn = (app: App, region = PRIMARY_REGION) => new Stack(app, 'P', { env: env(region) });

  const cases: [string, () => void, RegExp][] = [
    ['a replica in the primary\'s Region', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Same', { env: env(PRIMARY_REGION) }));
    }, /Same\/Key: the replica is in us-east-1, the primary key's own Region: put the replica in a stack of another Region/],
    ['the same Region twice', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Eu1', { env: env('eu-west-1') }));
      key.replicateTo(new Stack(app, 'Eu2', { env: env('eu-west-1') }));
    }, /Eu2\/Key: P\/Key already has a replica in eu-west-1 \(Eu1\/Key\): KMS allows one replica per Region/],
    ['a primary that is not multi-Region', () => {
      const app = new App();
      const key = new ManagedKey(primaryIn(app), 'Key');
      new ReplicaKey(new Stack(app, 'Eu', { env: env('eu-west-1') }), 'Replica', { primaryKey: key });
    }, /Eu\/Replica: the primary key P\/Key is not multi-Region: create it with multiRegion: true/],
    ['a MultiRegionKey with multiRegion: false', () => {
      new MultiRegionKey(primaryIn(new App()), 'Key', { multiRegion: false });
    }, /P: Key is a MultiRegionKey, which is always multi-Region: remove multiRegion: false/],
    ['an environment-agnostic replica stack', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Agnostic'));
    }, /Agnostic\/Key: the replica key's stack Agnostic is environment-agnostic .*give the stack env: \{ account: .*, region: .* \}/],
    ['an environment-agnostic primary stack', () => {
      const app = new App();
      const key = new MultiRegionKey(new Stack(app, 'Agnostic'), 'Key');
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }));
    }, /Eu\/Key: the primary key's stack Agnostic is environment-agnostic/],
    ['a replica in another account', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Other', { env: env('eu-west-1', '222222222222') }));
    }, /Other\/Key: the replica's stack is in account 222222222222 and its primary in 111111111111: KMS creates replicas only in the primary's account/],
    ['a replica in another account, by ARN', () => {
      new ReplicaKey(new Stack(new App(), 'Other', { env: env('eu-west-1', '222222222222') }), 'Replica', { primaryKeyArn: PRIMARY_ARN });
    }, /Other\/Replica: .*KMS creates replicas only in the primary's account/],
    ['a key store key as primary', () => {
      const app = new App();
      const key = new ManagedKey(primaryIn(app), 'Key', { multiRegion: true });
      key.resource.origin = 'EXTERNAL_KEY_STORE';
      new ReplicaKey(new Stack(app, 'Eu', { env: env('eu-west-1') }), 'Replica', { primaryKey: key });
    }, /Eu\/Replica: the primary key P\/Key is in a custom key store, which holds only single-Region keys/],
    ['a rotation setting on a replica', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }), { rotation: { enabled: true } });
    }, /Eu\/Key: a replica key rotates with its primary .*: remove rotation here and set it on the primary key/],
    ['a single-Region key ARN', () => {
      new ReplicaKey(new Stack(new App(), 'Eu', { env: env('eu-west-1') }), 'Replica', {
        primaryKeyArn: `arn:aws:kms:${PRIMARY_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      });
    }, /Eu\/Replica: .*is not a multi-Region key \(its id does not start with mrk-\)/],
    ['something that is not a key ARN', () => {
      new ReplicaKey(new Stack(new App(), 'Eu', { env: env('eu-west-1') }), 'Replica', { primaryKeyArn: 'alias/orders' });
    }, /Eu\/Replica: primaryKeyArn 'alias\/orders' is not a KMS key ARN/],
    ['no primary', () => {
      new ReplicaKey(new Stack(new App(), 'Eu', { env: env('eu-west-1') }), 'Replica', {});
    }, /Eu\/Replica: a replica needs its primary: give primaryKey .* or primaryKeyArn/],
    ['both primaries', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      new ReplicaKey(new Stack(app, 'Eu', { env: env('eu-west-1') }), 'Replica', { primaryKey: key, primaryKeyArn: PRIMARY_ARN });
    }, /Eu\/Replica: give either primaryKey or primaryKeyArn, not both/],
    ['a key spec beside a primary construct', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      new ReplicaKey(new Stack(app, 'Eu', { env: env('eu-west-1') }), 'Replica', { primaryKey: key, keySpec: kms.KeySpec.HMAC_256 });
    }, /keySpec and keyUsage come from the primaryKey: remove them/],
    ['a pending window outside 7-30 days', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key');
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }), { pendingWindow: Duration.days(3) });
    }, /Eu\/Key: pending window 3 days is outside what KMS allows/],
    ['a capability the primary\'s key spec lacks', () => {
      const app = new App();
      const key = new MultiRegionKey(primaryIn(app), 'Key', { keySpec: kms.KeySpec.ECC_NIST_P256 });
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }), { users: [KeyUser.encryptDecrypt(new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/x`))] });
      app.synth();
    }, /Eu\/Key: a ECC_NIST_P256 key with usage SIGN_VERIFY cannot encrypt decrypt/],
    ['an administrator who is also a user of the replica', () => {
      const app = new App();
      const admin = new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`);
      const key = new MultiRegionKey(primaryIn(app), 'Key', { administrators: [admin] });
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }), { users: [KeyUser.decrypt(admin)] });
      app.synth();
    }, /\[Eu\/Key\] .*is both administrator and user of the key/],
    ['a role of the primary stack without a physical name (aws-cdk-lib says which and how)', () => {
      const app = new App();
      const primaryStack = primaryIn(app);
      const role = new iam.Role(primaryStack, 'Unnamed', { assumedBy: new iam.AccountRootPrincipal() });
      const key = new MultiRegionKey(primaryStack, 'Key', { users: [KeyUser.decrypt(role)] });
      key.replicateTo(new Stack(app, 'Eu', { env: env('eu-west-1') }));
      app.synth();
    }, /Cannot use resource 'P\/Unnamed' in a cross-environment fashion.*PhysicalName.GENERATE_IF_NEEDED/],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('an imported-material primary is replicated with its extra administration actions', () => {
    const app = new App();
    const key = new MultiRegionKey(primaryIn(app), 'Key', { origin: KeyOrigin.EXTERNAL, administrators: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/admin`)] });
    const stack = new Stack(app, 'Eu', { env: env('eu-west-1') });
    key.replicateTo(stack);
    synthTemplate(stack).hasResourceProperties('AWS::KMS::ReplicaKey', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'KeyAdministration', Action: Match.arrayWith(['kms:ImportKeyMaterial']) })]) },
    });
  });
});
