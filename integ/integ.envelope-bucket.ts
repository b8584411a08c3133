/**
 * Deploys an EnvelopeEncryptedBucket and checks it end to end through AWS APIs: an inline put and
 * get through the crypto function, a ciphertext in S3 that is not the plaintext, an intake upload
 * that ends up encrypted under the protected prefix, and the IAM + streaming function URL. A second
 * bucket uses tenant branch keys: an inline put and get under a tenant's branch key, a branch key in
 * its store, and a name outside the tenants refused.
 * Without AWS credentials integ-runner only verifies the committed snapshot.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EnvelopeEncryptedBucket } from '../src';

const app = new App();
const stack = new Stack(app, 'EnvelopeBucketInteg');

const docs = new EnvelopeEncryptedBucket(stack, 'Docs', {
  // A test bucket and key: removed (the key scheduled for deletion) when the test ends.
  bucketProps: { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
  keyProps: { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) },
});

const testKey = { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) };
const tenantDocs = new EnvelopeEncryptedBucket(stack, 'TenantDocs', {
  bucketProps: { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
  keyProps: testKey,
  branchKeys: { tenants: ['acme', 'globex'], keyProps: testKey, storeRemovalPolicy: RemovalPolicy.DESTROY },
});

const integ = new IntegTest(app, 'EnvelopeBucketTest', { testCases: [stack] });
const PLAINTEXT = 'envelope integ plaintext';
const base64 = Buffer.from(PLAINTEXT).toString('base64');

// Inline put, then get: the plaintext comes back.
const put = integ.assertions.invokeFunction({
  functionName: docs.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', key: 'integ/inline.txt', data: base64, contentType: 'text/plain' }),
});
put.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"ok":true') }));
const get = integ.assertions.invokeFunction({
  functionName: docs.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'get', key: 'integ/inline.txt' }),
});
get.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp(base64) }));
put.next(get);

// S3 holds an ESDK message under the protected prefix, SSE-KMS encrypted with the key.
const stored = integ.assertions.awsApiCall('S3', 'headObject', { Bucket: docs.bucket.bucketName, Key: 'protected/integ/inline.txt' });
stored.expect(ExpectedResult.objectLike({ ServerSideEncryption: 'aws:kms', ContentType: 'application/octet-stream' }));
get.next(stored);

// An intake upload is encrypted into the protected prefix by the S3 event.
const upload = integ.assertions.awsApiCall('S3', 'putObject', {
  Bucket: docs.bucket.bucketName,
  Key: 'intake/integ/streamed.txt',
  Body: PLAINTEXT,
});
// The assertion role uploads with SSE-KMS: the key's IAM-delegated root statement lets IAM allow it.
upload.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: [docs.key.keyArn],
  Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
});
const encrypted = integ.assertions
  .awsApiCall('S3', 'headObject', { Bucket: docs.bucket.bucketName, Key: 'protected/integ/streamed.txt' })
  .expect(ExpectedResult.objectLike({ ContentType: 'application/octet-stream' }))
  .waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(10) });
upload.next(encrypted);

// The read function's URL: IAM auth and response streaming.
integ.assertions
  .awsApiCall('Lambda', 'getFunctionUrlConfig', { FunctionName: docs.readFunction.functionName })
  .expect(ExpectedResult.objectLike({ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' }));

// Branch keys: a tenant's object round trips; the branch key exists in the store; other names are refused.
const tenantPut = integ.assertions.invokeFunction({
  functionName: tenantDocs.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', key: 'acme/inline.txt', data: base64 }),
});
tenantPut.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"ok":true') }));
const tenantGet = integ.assertions.invokeFunction({
  functionName: tenantDocs.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'get', key: 'acme/inline.txt' }),
});
tenantGet.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp(base64) }));
tenantPut.next(tenantGet);
const branchKey = integ.assertions.awsApiCall('DynamoDB', 'getItem', {
  TableName: tenantDocs.branchKeyStore!.tableName,
  Key: { 'branch-key-id': { S: 'acme' }, 'type': { S: 'branch:ACTIVE' } },
});
branchKey.expect(ExpectedResult.objectLike({ Item: { 'branch-key-id': { S: 'acme' } } }));
tenantGet.next(branchKey);
integ.assertions.invokeFunction({
  functionName: tenantDocs.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', key: 'initech/x.txt', data: base64 }),
}).expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"code":"InvalidRequest"') }));

app.synth();
