/**
 * How a replica key in one template names its primary in another: resource metadata that
 * ReplicaKey writes (`cdk-kms-patterns:primaryKey`: the primary's stack name, logical id and Region).
 */
import { CfnResource, isPlainObject } from './template';

/** The metadata key. */
export const PRIMARY_KEY_METADATA = 'cdk-kms-patterns:primaryKey';

/** Where a replica's primary is, as its metadata says. */
export interface PrimaryKeyLink {
  readonly stackName: string;
  readonly logicalId: string;
  readonly region?: string;
}

/** The primary a replica resource names, if it names one. */
export function primaryKeyLink(resource: CfnResource): PrimaryKeyLink | undefined {
  const link = resource.Metadata?.[PRIMARY_KEY_METADATA];
  if (!isPlainObject(link)) return undefined;
  const { StackName: stackName, LogicalId: logicalId, Region: region } = link as Record<string, unknown>;
  if (typeof stackName !== 'string' || typeof logicalId !== 'string') return undefined;
  return { stackName, logicalId, region: typeof region === 'string' ? region : undefined };
}
