/**
 * How a replica key in one template names its primary in another: resource metadata that
 * ReplicaKey writes (`cdk-kms-patterns:primaryKey`), read by lint and explain.
 */
import { CfnResource, isPlainObject } from './template';

/** The metadata key. */
export const PRIMARY_KEY_METADATA = 'cdk-kms-patterns:primaryKey';

/** Where a replica's primary is, as its metadata says. */
export interface PrimaryKeyLink {
  /** The primary's CloudFormation stack name. */
  readonly stackName: string;
  /** The primary's stack as the cloud assembly displays it (its construct path). */
  readonly stackPath?: string;
  readonly logicalId: string;
  readonly region?: string;
  readonly account?: string;
  readonly replicaRegion?: string;
}

/** The primary a replica resource names, if it names one. */
export function primaryKeyLink(resource: CfnResource): PrimaryKeyLink | undefined {
  const link = resource.Metadata?.[PRIMARY_KEY_METADATA];
  if (!isPlainObject(link)) return undefined;
  const text = (key: string) => (typeof link[key] === 'string' ? (link[key] as string) : undefined);
  const stackName = text('StackName');
  const logicalId = text('LogicalId');
  if (stackName === undefined || logicalId === undefined) return undefined;
  return {
    stackName,
    stackPath: text('StackPath'),
    logicalId,
    region: text('Region'),
    account: text('Account'),
    replicaRegion: text('ReplicaRegion'),
  };
}

/** True when a loaded template (named as the CLI names it) is the primary's stack. */
export function isPrimaryStack(link: PrimaryKeyLink, templateName: string): boolean {
  return templateName === link.stackName || templateName === link.stackPath;
}
