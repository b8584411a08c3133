/**
 * XksProxy -> ExternalKeyStore -> CustomStoreKey -> an encrypted bucket. After deploying, the store
 * is CONNECTED (the deploy waits for it), the key is Enabled in the store with its XKS key id, and
 * an object written with the key reads back. Without AWS credentials integ-runner only verifies the
 * committed snapshot.
 *
 * A real deployment needs a public hosted zone you own and a TLS certificate for the private DNS
 * name from a public CA: XKS_INTEG_ZONE_ID, XKS_INTEG_ZONE_NAME and XKS_INTEG_TLS_SECRET, as for
 * integ.xks-proxy.ts. The snapshot uses placeholders.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomStoreKey, ExternalKeyStore, XksProxy } from '../src';

const zoneName = process.env.XKS_INTEG_ZONE_NAME ?? 'xks-integ.example.com';
const XKS_KEY_ID = 'integ-key-1';

const app = new App();
const stack = new Stack(app, 'ExternalKeyStoreInteg');

const proxy = new XksProxy(stack, 'Proxy', {
  privateDnsName: `proxy.${zoneName}`,
  hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: process.env.XKS_INTEG_ZONE_ID ?? 'Z0000000000000000000',
    zoneName,
  }),
  tlsSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Tls', process.env.XKS_INTEG_TLS_SECRET ?? 'xks-integ-tls'),
  externalKeyIds: [XKS_KEY_ID],
  uriPathPrefix: '/integ',
  // The bundled image's SoftHSM2 demo mode: keys generated in each task (test only).
  environment: { XKS_SOFTHSM_DEMO_KEYS: XKS_KEY_ID },
});

// An integration test cleans up after itself; production stores and keys keep RETAIN.
const store = new ExternalKeyStore(stack, 'Store', { proxyConnection: proxy.connection, removalPolicy: RemovalPolicy.DESTROY });
store.node.addDependency(proxy);
const key = new CustomStoreKey(stack, 'Key', {
  keyStore: store,
  xksKeyId: XKS_KEY_ID,
  description: 'integ: a key in an external key store',
  removalPolicy: RemovalPolicy.DESTROY,
});
const bucket = new s3.Bucket(stack, 'Bucket', {
  encryptionKey: key,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true,
});

const integ = new IntegTest(app, 'ExternalKeyStoreTest', { testCases: [stack] });

integ.assertions
  .awsApiCall('KMS', 'describeCustomKeyStores', { CustomKeyStoreId: store.keyStoreId })
  .expect(ExpectedResult.objectLike({ CustomKeyStores: [{ ConnectionState: 'CONNECTED', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' }] }));

integ.assertions
  .awsApiCall('KMS', 'describeKey', { KeyId: key.keyId })
  .expect(ExpectedResult.objectLike({ KeyMetadata: { KeyState: 'Enabled', Origin: 'EXTERNAL_KEY_STORE', XksKeyConfiguration: { Id: XKS_KEY_ID } } }));

const put = integ.assertions.awsApiCall('S3', 'putObject', { Bucket: bucket.bucketName, Key: 'hello.txt', Body: 'through the HSM' });
put.next(integ.assertions
  .awsApiCall('S3', 'getObject', { Bucket: bucket.bucketName, Key: 'hello.txt' })
  .expect(ExpectedResult.objectLike({ Body: 'through the HSM', SSEKMSKeyId: key.keyArn })));
