/** Multi-Region apps for the replica tests: a primary stack and one stack per replica Region. */
import { App, PhysicalName, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyCapability, KeyPolicyPosture, KeyService, KeyUser, MultiRegionKey, ReplicaKey } from '../../src';

export const ACCOUNT = '111111111111';
export const PRIMARY_REGION = 'us-east-1';
export const REPLICA_REGIONS = ['eu-west-1', 'ap-southeast-2'] as const;

export interface MultiRegionApp {
  readonly app: App;
  readonly primaryStack: Stack;
  readonly replicaStacks: Stack[];
  readonly key: MultiRegionKey;
  readonly replicas: ReplicaKey[];
  readonly admin: iam.Role;
  readonly user: iam.Role;
  readonly viaUser: iam.Role;
  readonly grantUser: iam.Role;
}

/** The stack name of the replica stack of a Region. */
export function replicaStackName(region: string): string {
  return `Replica-${region}`;
}

/**
 * A MultiRegionKey in us-east-1 with administrators, users of every kind and a service, replicated
 * to `regions`. The roles live in the primary stack with generated physical names, so replica
 * stacks name them by ARN (no cross-Region reference).
 */
export function multiRegionApp(posture: KeyPolicyPosture, regions: readonly string[] = REPLICA_REGIONS): MultiRegionApp {
  const app = new App();
  const env = (region: string) => ({ account: ACCOUNT, region });
  const primaryStack = new Stack(app, 'Primary', { env: env(PRIMARY_REGION) });
  const role = (id: string) => new iam.Role(primaryStack, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    roleName: PhysicalName.GENERATE_IF_NEEDED,
  });
  const [admin, user, viaUser, grantUser] = ['Admin', 'User', 'ViaUser', 'GrantUser'].map(role);
  const key = new MultiRegionKey(primaryStack, 'OrdersKey', {
    posture,
    description: 'Orders data in every Region',
    aliases: ['orders'],
    administrators: [admin],
    users: [
      KeyUser.encryptDecrypt(user),
      KeyUser.viaService(viaUser, 'dynamodb'),
      KeyUser.grantForAwsResources(grantUser),
    ],
    services: [KeyService.custom('sns.amazonaws.com', KeyCapability.ENCRYPT_DECRYPT)],
  });
  const replicaStacks = regions.map((region) => new Stack(app, replicaStackName(region), { env: env(region) }));
  const replicas = replicaStacks.map((stack) => key.replicateTo(stack));
  return { app, primaryStack, replicaStacks, key, replicas, admin, user, viaUser, grantUser };
}
