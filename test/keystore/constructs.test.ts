import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as fc from 'fast-check';
import { cloudHsmStore, externalStore, SERVICE_NAME, storeFixture, TRUST_ANCHOR } from './fixtures';
import { CloudHsmKeyStore, CustomStoreKey, ExternalKeyStore, KeyOrigin, KeyPolicyPosture, KeyUser, XksProxyConnectivity } from '../../src';
import { xksKeyIdProblems } from '../../src/keystore/validation';
import { stableTemplateJson, synthTemplate } from '../support/template';
import { makeProxy } from '../xks/fixtures';

describe('ExternalKeyStore', () => {
  test('a custom resource with the connection settings, a Provider with isComplete, retained; secrets only by ARN', () => {
    const f = storeFixture();
    externalStore(f, { keyStoreName: 'prod-xks' });
    const template = synthTemplate(f.stack);
    template.hasResource('Custom::KmsCustomKeyStore', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
        CustomKeyStoreName: 'prod-xks',
        XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
        XksProxyUriEndpoint: 'https://xks.example.com',
        XksProxyUriPath: '/keystores/prod/kms/xks/v1',
        XksProxyVpcEndpointServiceName: SERVICE_NAME,
        CredentialSecretArn: { Ref: Match.stringLikeRegexp('^XksCredential') },
        TimeoutSeconds: '3600',
      },
    });
    const props = Object.values(template.findResources('Custom::KmsCustomKeyStore'))[0].Properties;
    expect(Object.keys(props).sort()).toEqual(['CredentialSecretArn', 'CustomKeyStoreName', 'CustomKeyStoreType', 'ServiceToken', 'TimeoutSeconds',
      'XksProxyConnectivity', 'XksProxyUriEndpoint', 'XksProxyUriPath', 'XksProxyVpcEndpointServiceName']);
    // The Provider framework waits with a state machine (isComplete), for the timeout plus a margin.
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.isComplete', Runtime: 'nodejs24.x' });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs24.x' });
    // No secret value anywhere in the template.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretAccessKey|RawSecretAccessKey|KeyStorePassword"/);
  });

  test('from an XksProxy: its connection (endpoint, URI path, endpoint service, credential secret)', () => {
    const { stack, proxy } = makeProxy();
    new ExternalKeyStore(stack, 'Store', { proxyConnection: proxy.connection });
    const template = synthTemplate(stack);
    template.hasResourceProperties('Custom::KmsCustomKeyStore', {
      XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      XksProxyUriEndpoint: 'https://xks.example.com',
      XksProxyUriPath: '/kms/xks/v1',
      XksProxyVpcEndpointServiceName: Match.anyValue(),
      CredentialSecretArn: { Ref: Match.stringLikeRegexp('^ProxyCredential') },
    });
    expect(() => new ExternalKeyStore(stack, 'Both', { proxyConnection: proxy.connection, uriEndpoint: 'https://other.example.com' }))
      .toThrow(/XksStack\/Both: proxyConnection and uriEndpoint are both given/);
  });

  test('a configurable time-out and DESTROY', () => {
    const f = storeFixture();
    externalStore(f, { connectionTimeout: Duration.minutes(15), removalPolicy: RemovalPolicy.DESTROY });
    const template = synthTemplate(f.stack);
    template.hasResource('Custom::KmsCustomKeyStore', { DeletionPolicy: 'Delete', Properties: { TimeoutSeconds: '900' } });
  });

  test('PUBLIC_ENDPOINT: no endpoint service, no ec2 permission', () => {
    const f = storeFixture();
    externalStore(f, { connectivity: XksProxyConnectivity.PUBLIC_ENDPOINT, vpcEndpointServiceName: undefined });
    const template = synthTemplate(f.stack);
    const props = Object.values(template.findResources('Custom::KmsCustomKeyStore'))[0].Properties;
    expect(props.XksProxyConnectivity).toBe('PUBLIC_ENDPOINT');
    expect(props.XksProxyVpcEndpointServiceName).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ec2:DescribeVpcEndpointServices');
  });
});

describe('CloudHsmKeyStore', () => {
  test('cluster id, trust anchor and the password secret by ARN; the handler may read the cluster', () => {
    const f = storeFixture();
    cloudHsmStore(f);
    const template = synthTemplate(f.stack);
    template.hasResourceProperties('Custom::KmsCustomKeyStore', {
      CustomKeyStoreType: 'AWS_CLOUDHSM',
      CloudHsmClusterId: 'cluster-2a23b4cdefg',
      TrustAnchorCertificate: TRUST_ANCHOR,
      KeyStorePasswordSecretArn: { Ref: Match.stringLikeRegexp('^KmsUserPassword') },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadCluster', Action: 'cloudhsm:DescribeClusters' })]) },
    });
  });
});

describe('CustomStoreKey', () => {
  test('the key policy from the policy model in the resource, aliases, tags, retained, 30-day window', () => {
    const f = storeFixture();
    const store = externalStore(f);
    const key = new CustomStoreKey(f.stack, 'Key', {
      keyStore: store,
      xksKeyId: 'orders-key-1',
      description: 'orders',
      aliases: ['orders'],
      administrators: [new iam.ArnPrincipal('arn:aws:iam::111111111111:role/KeyAdmin')],
      users: [KeyUser.encryptDecrypt(f.appRole)],
    });
    key.tags.setTag('team', 'payments');
    const template = synthTemplate(f.stack);
    template.hasResource('Custom::KmsCustomStoreKey', {
      DeletionPolicy: 'Retain',
      Properties: {
        CustomKeyStoreId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Xks'), 'CustomKeyStoreId'] },
        Origin: 'EXTERNAL_KEY_STORE',
        XksKeyId: 'orders-key-1',
        Description: 'orders',
        PendingWindowInDays: '30',
        Enabled: 'true',
        Tags: [{ Key: 'team', Value: 'payments' }],
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'AccountRootDelegatesToIam' }),
            Match.objectLike({ Sid: 'KeyAdministration' }),
            Match.objectLike({ Sid: 'UseEncryptDecrypt' }),
            Match.objectLike({ Sid: 'DenyCreateGrantExceptForAwsResources', Effect: 'Deny' }),
          ]),
        },
      },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/orders', TargetKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
  });

  test('works where aws-cdk-lib takes an encryption key (kms.IKey)', () => {
    const f = storeFixture();
    const key = new CustomStoreKey(f.stack, 'Key', { keyStore: externalStore(f), xksKeyId: 'k1' });
    const bucket = new s3.Bucket(f.stack, 'Bucket', { encryptionKey: key, enforceSSL: true });
    bucket.grantRead(f.appRole);
    const template = synthTemplate(f.stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } })]) },
    });
  });

  test('STRICT: the store handler alone manages the key; no account-root statement', () => {
    const f = storeFixture();
    new CustomStoreKey(f.stack, 'Key', { keyStore: externalStore(f), xksKeyId: 'k1', posture: KeyPolicyPosture.STRICT });
    const template = synthTemplate(f.stack);
    const policy = Object.values(template.findResources('Custom::KmsCustomStoreKey'))[0].Properties.KeyPolicy;
    const sids = policy.Statement.map((s: any) => s.Sid);
    expect(sids).toContain('KeyManagementByItsHandler');
    expect(sids).not.toContain('AccountRootDelegatesToIam');
  });

  test('STRICT: aws-cdk-lib\'s grants and other accounts\' principals land in the key policy; no IAM policy of the key\'s account names the key', () => {
    const f = storeFixture();
    const key = new CustomStoreKey(f.stack, 'Key', { keyStore: externalStore(f), xksKeyId: 'k1', posture: KeyPolicyPosture.STRICT });
    const bucket = new s3.Bucket(f.stack, 'Bucket', { encryptionKey: key, enforceSSL: true });
    bucket.grantRead(f.appRole); // aws-cdk-lib's own grant
    const partner = iam.Role.fromRoleArn(f.stack, 'Partner', 'arn:aws:iam::222222222222:role/partner', { mutable: true });
    expect(key.grantDecrypt(partner).success).toBe(true);
    key.grantEncrypt(new iam.ArnPrincipal('arn:aws:iam::222222222222:role/other'));
    const template = synthTemplate(f.stack);
    const statements = Object.values(template.findResources('Custom::KmsCustomStoreKey'))[0].Properties.KeyPolicy.Statement;
    const principals = JSON.stringify(statements.map((st: any) => st.Principal));
    expect(principals).toContain('222222222222:role/partner');
    expect(principals).toContain('222222222222:role/other');
    expect(principals).toContain(f.stack.resolve(f.appRole.roleArn)['Fn::GetAtt'][0]);
    // The app role of the key's account: nothing in its IAM policy about the key (no cycle, key policy only).
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('kms:Decrypt');
  });

  test('in a CloudHSM key store: origin AWS_CLOUDHSM, no XksKeyId', () => {
    const f = storeFixture();
    new CustomStoreKey(f.stack, 'Key', { keyStore: cloudHsmStore(f) });
    const template = synthTemplate(f.stack);
    const props = Object.values(template.findResources('Custom::KmsCustomStoreKey'))[0].Properties;
    expect(props.Origin).toBe('AWS_CLOUDHSM');
    expect(props.XksKeyId).toBeUndefined();
  });

  test('snapshot: XKS store and a key used by a role', () => {
    const f = storeFixture();
    const key = new CustomStoreKey(f.stack, 'Key', { keyStore: externalStore(f, { keyStoreName: 'snapshot-store' }), xksKeyId: 'k1', aliases: ['snap'] });
    key.grantEncryptDecrypt(f.appRole);
    expect(stableTemplateJson(synthTemplate(f.stack))).toMatchSnapshot();
  });
});

describe('bad input fails at synth with the construct path and the fix', () => {
  const storeCases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an http:// endpoint', { uriEndpoint: 'http://xks.example.com' }, /KeyStores\/Xks: uriEndpoint 'http:\/\/xks.example.com' must be https:\/\//],
    ['an endpoint with a port', { uriEndpoint: 'https://xks.example.com:8443' }, /no port or path/],
    ['an endpoint with a path', { uriEndpoint: 'https://xks.example.com/kms' }, /no port or path/],
    ['an endpoint with a trailing slash', { uriEndpoint: 'https://xks.example.com/' }, /no port or path/],
    ['a URI path without /kms/xks/v1', { uriPath: '/keystores/prod' }, /uriPath '\/keystores\/prod' must be .* followed by \/kms\/xks\/v1/],
    ['a URI path with a trailing slash', { uriPath: '/kms/xks/v1/' }, /uriPath/],
    ['a URI path with odd characters', { uriPath: '/a b/kms/xks/v1' }, /uriPath/],
    ['VPC_ENDPOINT_SERVICE without a service name', { vpcEndpointServiceName: undefined }, /VPC_ENDPOINT_SERVICE connectivity needs vpcEndpointServiceName/],
    ['PUBLIC_ENDPOINT with a service name', { connectivity: XksProxyConnectivity.PUBLIC_ENDPOINT }, /PUBLIC_ENDPOINT connectivity takes no VPC endpoint service/],
    ['no credential', { credentialSecret: undefined }, /credentialSecret is missing/],
    ['a bad service owner', { vpcEndpointServiceOwner: '12345' }, /12-digit account id/],
    ['a time-out over the framework limit', { connectionTimeout: Duration.hours(3) }, /connectionTimeout 3 hours is outside 1 to 118 minutes/],
  ];
  test.each(storeCases)('ExternalKeyStore: %s', (_, overrides, message) => {
    const f = storeFixture();
    expect(() => externalStore(f, overrides)).toThrow(message);
  });

  test('CloudHsmKeyStore: a missing or non-PEM trust anchor, a bad cluster id', () => {
    for (const [props, message] of [
      [{ trustAnchorCertificate: '' }, /KeyStores\/Hsm: the trust anchor certificate is missing: pass the contents of the customerCA.crt/],
      [{ trustAnchorCertificate: 'not a certificate' }, /not a PEM certificate/],
      [{ clusterId: 'cluster-!' }, /is not a CloudHSM cluster id/],
    ] as const) {
      const f = storeFixture();
      const password = new secretsmanager.Secret(f.stack, 'P');
      expect(() => new CloudHsmKeyStore(f.stack, 'Hsm', {
        clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: TRUST_ANCHOR, kmsUserPasswordSecret: password, ...props,
      })).toThrow(message);
    }
  });

  const keyCases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['rotation', { rotation: { enabled: true } }, /cannot rotate automatically: remove the rotation settings/],
    ['a rotation period', { rotation: { period: Duration.days(180) } }, /cannot rotate automatically/],
    ['multi-Region', { multiRegion: true }, /cannot be multi-Region/],
    ['an asymmetric spec', { keySpec: kms.KeySpec.RSA_2048 }, /must be SYMMETRIC_DEFAULT, not RSA_2048/],
    ['an HMAC spec', { keySpec: kms.KeySpec.HMAC_256 }, /must be SYMMETRIC_DEFAULT, not HMAC_256/],
    ['a sign/verify usage', { keyUsage: kms.KeyUsage.SIGN_VERIFY }, /key usage ENCRYPT_DECRYPT/],
    ['imported material', { origin: KeyOrigin.EXTERNAL }, /cannot take imported key material/],
    ['no XKS key id', { xksKeyId: undefined }, /needs xksKeyId/],
    ['an XKS key id with a slash', { xksKeyId: 'a/b' }, /xksKeyId 'a\/b' must be 1 to 128 characters/],
    ['an XKS key id with a space', { xksKeyId: 'a b' }, /xksKeyId/],
    ['an XKS key id over 128 characters', { xksKeyId: 'k'.repeat(129) }, /xksKeyId/],
    ['an empty XKS key id', { xksKeyId: '' }, /xksKeyId/],
    ['a pending window of 40 days', { pendingWindow: Duration.days(40) }, /pending window/],
  ];
  test.each(keyCases)('CustomStoreKey: %s', (_, overrides, message) => {
    const f = storeFixture();
    const store = externalStore(f);
    expect(() => new CustomStoreKey(f.stack, 'Key', { keyStore: store, xksKeyId: 'k1', ...overrides })).toThrow(message);
    expect(() => new CustomStoreKey(f.stack, 'Key2', { keyStore: store, xksKeyId: 'k1', ...overrides })).toThrow(/KeyStores\/Key2: /);
  });

  test('CustomStoreKey: an XKS key id in a CloudHSM key store', () => {
    const f = storeFixture();
    expect(() => new CustomStoreKey(f.stack, 'Key', { keyStore: cloudHsmStore(f), xksKeyId: 'k1' })).toThrow(/xksKeyId is only for keys in an external key store/);
  });

  test('XKS key ids: every valid label passes, every character outside [A-Za-z0-9._-] fails', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/), (id) => xksKeyIdProblems(id).length === 0));
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /[^A-Za-z0-9._-]/.test(s)), (id) => xksKeyIdProblems(id).length === 1));
  });
});
