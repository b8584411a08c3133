/**
 * What AWS services need from the principal that creates an encrypted resource (through
 * CloudFormation: the STRICT policy manager), each limited to the service by `kms:ViaService`.
 * The actions are the ones each service's documentation lists for the creator:
 * - RDS (also Aurora, DocumentDB, Neptune), DynamoDB, EFS, ECR, FSx, OpenSearch, AWS Backup, EKS:
 *   `kms:DescribeKey` and `kms:CreateGrant` for AWS resources (the service then uses its grant);
 * - EBS (ec2): also `kms:GenerateDataKeyWithoutPlaintext`, `kms:Decrypt`, `kms:ReEncrypt*`;
 * - Secrets Manager: `kms:GenerateDataKey` and `kms:Decrypt` (it encrypts the value as the caller);
 * - Lambda (environment variables): `kms:Encrypt` and `kms:CreateGrant` for AWS resources.
 * Services that use the key only as their own service principal or as the caller at run time
 * (S3, SQS, SNS, Kinesis, CloudWatch Logs, CloudTrail, EventBridge, Step Functions) need nothing here.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyReference, ScannedResource } from './template-scan';

interface ServiceNeeds {
  /** Endpoint prefix of `kms:ViaService` (`<prefix>.<region>.<url suffix>`). */
  readonly endpoint: string;
  /** Actions other than the grant actions. */
  readonly actions: string[];
  /** Whether the service creates a grant as the creator (CreateGrant for AWS resources). */
  readonly createsGrant: boolean;
}

const DESCRIBE_AND_GRANT = (endpoint: string): ServiceNeeds => ({ endpoint, actions: ['kms:DescribeKey'], createsGrant: true });

/** CloudFormation type prefix → what its service needs from the creator. */
const NEEDS_BY_TYPE_PREFIX: ReadonlyArray<readonly [string, ServiceNeeds]> = [
  ['AWS::RDS::', DESCRIBE_AND_GRANT('rds')],
  ['AWS::DocDB::', DESCRIBE_AND_GRANT('rds')],
  ['AWS::Neptune::', DESCRIBE_AND_GRANT('rds')],
  ['AWS::DynamoDB::', DESCRIBE_AND_GRANT('dynamodb')],
  ['AWS::EFS::', DESCRIBE_AND_GRANT('elasticfilesystem')],
  ['AWS::ECR::', DESCRIBE_AND_GRANT('ecr')],
  ['AWS::FSx::', DESCRIBE_AND_GRANT('fsx')],
  ['AWS::OpenSearchService::', DESCRIBE_AND_GRANT('es')],
  ['AWS::Elasticsearch::', DESCRIBE_AND_GRANT('es')],
  ['AWS::Backup::', DESCRIBE_AND_GRANT('backup')],
  ['AWS::EKS::', DESCRIBE_AND_GRANT('eks')],
  ['AWS::EC2::', {
    endpoint: 'ec2',
    actions: ['kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    createsGrant: true,
  }],
  ['AWS::AutoScaling::', {
    endpoint: 'ec2',
    actions: ['kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    createsGrant: true,
  }],
  ['AWS::SecretsManager::', { endpoint: 'secretsmanager', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], createsGrant: false }],
  ['AWS::Lambda::Function', { endpoint: 'lambda', actions: ['kms:Encrypt'], createsGrant: true }],
];

/** Whether servicesCreatingEncryptedResources reads resources of this type. */
export function mayNeedDeployerAccess(type: string): boolean {
  return NEEDS_BY_TYPE_PREFIX.some(([prefix]) => type.startsWith(prefix));
}

/** The service endpoints (prefixes) of the resources that refer to the key, with their needs. */
export function servicesCreatingEncryptedResources(resources: ScannedResource[], key: KeyReference): Map<string, ServiceNeeds> {
  const found = new Map<string, ServiceNeeds>();
  for (const resource of resources) {
    const needs = NEEDS_BY_TYPE_PREFIX.find(([prefix]) => resource.type.startsWith(prefix))?.[1];
    if (!needs || found.has(needs.endpoint) || !key.isReferredToBy(resource.properties, resource.stack)) continue;
    found.set(needs.endpoint, needs);
  }
  return found;
}

/**
 * Statements for the deployer: per distinct action set, one statement over the endpoints that need
 * it; CreateGrant in its own statement, only for AWS resources. Rendered like any other statement
 * (so the policy manager's use of the key is refused unless allowed).
 */
export function deployerStatements(services: Map<string, ServiceNeeds>, deployer: iam.IPrincipal, stack: Stack): iam.PolicyStatement[] {
  const endpoint = (prefix: string) => `${prefix}.${stack.region}.${stack.urlSuffix}`;
  const bySet = new Map<string, { actions: string[]; endpoints: string[] }>();
  for (const needs of [...services.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint))) {
    const actions = [...needs.actions].sort();
    const shape = actions.join(',');
    const entry = bySet.get(shape) ?? { actions, endpoints: [] };
    entry.endpoints.push(endpoint(needs.endpoint));
    bySet.set(shape, entry);
  }
  const grantEndpoints = [...services.values()].filter((n) => n.createsGrant).map((n) => endpoint(n.endpoint)).sort();
  const viaService = (endpoints: string[]) => ({ 'kms:ViaService': endpoints.length === 1 ? endpoints[0] : endpoints });
  const statements = [...bySet.values()].map(({ actions, endpoints }, i) => new iam.PolicyStatement({
    sid: `DeployerCreatesEncryptedResources${i === 0 ? '' : i + 1}`,
    principals: [deployer],
    actions,
    resources: ['*'],
    conditions: { StringEquals: viaService(endpoints) },
  }));
  if (grantEndpoints.length > 0) {
    statements.push(new iam.PolicyStatement({
      sid: 'DeployerCreatesGrantsForAwsResources',
      principals: [deployer],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { StringEquals: viaService(grantEndpoints), Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
  }
  return statements;
}
