/**
 * The codec of a table function: a KMS keyring under the envelope key, or (with the branch key
 * variables) the hierarchical keyring, whose branch key is the table's one key or the tenant the
 * message's context names. The envelope key stays the codec's key either way, so items written
 * before branch keys were turned on still decrypt.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { codecBranchKeys } from './branch-key-config';
import { Codec } from './codec';
import { codecFromConfig } from './config';
import { tenantOfContext } from './item-envelope';
import { TableConfig } from './table-config';

export function tableCodec(config: TableConfig, clients: { kms?: KMSClient; ddb?: DynamoDBClient } = {}): Codec {
  const kms = clients.kms ?? new KMSClient({ maxAttempts: config.codec.kmsMaxAttempts });
  if (!config.branchKeys) return codecFromConfig(config.codec, kms);
  const ddb = clients.ddb ?? new DynamoDBClient({ maxAttempts: config.codec.kmsMaxAttempts });
  return codecFromConfig(config.codec, kms, codecBranchKeys(config.branchKeys, { kms, ddb }, tenantOfContext));
}
