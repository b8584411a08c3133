/**
 * Deploys an EnvelopeEncryptedTable and checks it end to end through AWS APIs: a put and a get
 * through the read-write function, the stored item (keys and SIGN_ONLY attributes readable, the
 * envelope present, the ENCRYPT_AND_SIGN attribute absent), a read through the read-only function,
 * a write refused by it, and the table's encryption at rest with the table key. A second table uses
 * branch keys with two tenants: a put and a get under a tenant's branch key, and an unknown tenant
 * refused. Without AWS credentials integ-runner only verifies the committed snapshot.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AttributeAction, EnvelopeEncryptedTable, ManagedKey } from '../src';

const app = new App();
const stack = new Stack(app, 'EnvelopeTableInteg');

const testKey = { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) };
const orders = new EnvelopeEncryptedTable(stack, 'Orders', {
  tableProps: {
    partitionKey: { name: 'customer', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'order', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  },
  keyProps: testKey,
  existingTableKey: new ManagedKey(stack, 'TableKey', testKey),
  attributeActions: { status: AttributeAction.SIGN_ONLY, card: AttributeAction.ENCRYPT_AND_SIGN },
});

// Branch keys, one per tenant. The store is retained with deletion protection by default; the
// test removes it with the table.
const tenants = new EnvelopeEncryptedTable(stack, 'Tenants', {
  tableProps: {
    partitionKey: { name: 'customer', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'order', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  },
  keyProps: testKey,
  existingTableKey: new ManagedKey(stack, 'TenantsTableKey', testKey),
  attributeActions: { tenant: AttributeAction.SIGN_ONLY },
  branchKeys: { tenants: ['acme', 'globex'], tenantAttribute: 'tenant', keyProps: testKey, storeRemovalPolicy: RemovalPolicy.DESTROY },
});

const integ = new IntegTest(app, 'EnvelopeTableTest', { testCases: [stack] });
const CARD = 'integ-confidential-value';
const item = { customer: 'integ', order: 'o-1', card: CARD, status: 'PAID' };
const key = { customer: 'integ', order: 'o-1' };

const put = integ.assertions.invokeFunction({
  functionName: orders.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', item }),
});
put.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"ok":true') }));

const get = integ.assertions.invokeFunction({
  functionName: orders.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'get', key }),
});
get.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp(CARD) }));
put.next(get);

const stored = integ.assertions.awsApiCall('DynamoDB', 'getItem', { TableName: orders.table.tableName, Key: { customer: { S: 'integ' }, order: { S: 'o-1' } } });
stored.expect(ExpectedResult.objectLike({ Item: { customer: { S: 'integ' }, status: { S: 'PAID' }, aws_envelope: Match.objectLike({}) } }));
get.next(stored);

const read = integ.assertions.invokeFunction({
  functionName: orders.readFunction.functionName,
  payload: JSON.stringify({ operation: 'query', partitionKey: 'integ' }),
});
read.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp(CARD) }));
stored.next(read);

const refused = integ.assertions.invokeFunction({
  functionName: orders.readFunction.functionName,
  payload: JSON.stringify({ operation: 'put', item }),
});
refused.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"code":"AccessDenied"') }));
read.next(refused);

integ.assertions
  .awsApiCall('DynamoDB', 'describeTable', { TableName: orders.table.tableName })
  .expect(ExpectedResult.objectLike({ Table: { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: orders.tableEncryptionKey.keyArn } } }));

const tenantItem = { customer: 'integ', order: 't-1', tenant: 'acme', card: CARD };
const tenantPut = integ.assertions.invokeFunction({
  functionName: tenants.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', item: tenantItem }),
});
tenantPut.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"ok":true') }));
const tenantGet = integ.assertions.invokeFunction({
  functionName: tenants.readFunction.functionName,
  payload: JSON.stringify({ operation: 'get', key: { customer: 'integ', order: 't-1' } }),
});
tenantGet.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp(CARD) }));
tenantPut.next(tenantGet);
const unknownTenant = integ.assertions.invokeFunction({
  functionName: tenants.cryptoFunction.functionName,
  payload: JSON.stringify({ operation: 'put', item: { ...tenantItem, tenant: 'initech' } }),
});
unknownTenant.expect(ExpectedResult.objectLike({ Payload: Match.stringLikeRegexp('"code":"InvalidRequest"') }));
tenantGet.next(unknownTenant);

app.synth();
