/** Lambda entry of the branch key custom resource (aws-cdk-lib custom-resources Provider onEvent). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BranchKeyResourceProps, provisionBranchKeys } from './branch-key-provisioner';

type Props = BranchKeyResourceProps & { ServiceToken?: string };

export async function handler(event: CloudFormationCustomResourceEvent) {
  const props = event.ResourceProperties as unknown as Props;
  const physicalId = `${props.TableName}/${props.LogicalStoreName}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const previous = event.RequestType === 'Update' ? event.OldResourceProperties as unknown as Props : undefined;
  const result = await provisionBranchKeys(props, previous, { kms: new KMSClient({}), ddb: new DynamoDBClient({}) });
  console.log(JSON.stringify({ message: 'branch keys provisioned', ...result }));
  return { PhysicalResourceId: physicalId, Data: { Created: result.created.join(','), Versioned: result.versioned.join(',') } };
}
