/**
 * Creates and rotates the branch keys of an EnvelopeEncryptedBucket (its custom resource):
 *
 * - Create / Update: every listed branch key that is not in the store yet is created
 *   (BranchKeyStoreNode.createKey, with the tenant or bucket as custom KMS encryption context);
 *   one that exists is kept as is (idempotent, and a retried deployment creates nothing twice).
 * - Update with a changed rotation token: every branch key that existed before gets a new
 *   version (versionKey); old versions stay readable, so older objects still decrypt.
 * - Delete: nothing. Branch keys are key material for stored objects; the table is RETAINed.
 */
import { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';

export interface BranchKeyResourceProps {
  readonly TableName: string;
  readonly LogicalStoreName: string;
  readonly KmsKeyArn: string;
  /** Branch key ids, each with its custom encryption context value (the tenant or `bucket`). */
  readonly BranchKeyIds: string[];
  /** Context key of the custom encryption context (`tenant` or `bucket`). */
  readonly ContextKey: string;
  readonly RotationToken?: string;
}

export interface ProvisionResult {
  readonly created: string[];
  readonly versioned: string[];
}

export interface ProvisionClients {
  readonly kms: KMSClient;
  readonly ddb: DynamoDBClient;
}

async function exists(ddb: DynamoDBClient, table: string, id: string): Promise<boolean> {
  const { Item } = await ddb.send(new GetItemCommand({
    TableName: table,
    Key: { 'branch-key-id': { S: id }, 'type': { S: 'branch:ACTIVE' } },
    ConsistentRead: true,
  }));
  return Item !== undefined;
}

export async function provisionBranchKeys(
  props: BranchKeyResourceProps,
  previous: BranchKeyResourceProps | undefined,
  clients: ProvisionClients,
): Promise<ProvisionResult> {
  const store = new BranchKeyStoreNode({
    logicalKeyStoreName: props.LogicalStoreName,
    storage: { ddbTableName: props.TableName, ddbClient: clients.ddb },
    keyManagement: { kmsClient: clients.kms },
    kmsConfiguration: { identifier: props.KmsKeyArn },
  });
  const rotate = previous !== undefined && (previous.RotationToken ?? '') !== (props.RotationToken ?? '');
  const created: string[] = [];
  const versioned: string[] = [];
  for (const id of props.BranchKeyIds) {
    if (!(await exists(clients.ddb, props.TableName, id))) {
      await store.createKey({ branchKeyIdentifier: id, encryptionContext: { [props.ContextKey]: id } });
      created.push(id);
    } else if (rotate) {
      await store.versionKey({ branchKeyIdentifier: id });
      versioned.push(id);
    }
  }
  return { created, versioned };
}
