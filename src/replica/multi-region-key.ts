import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { publishPrimaryKeyArn } from './primary-arn';
import { ReplicaKey, ReplicaKeyOptions } from './replica-key';
import { validationError } from '../errors';
import { ManagedKey, ManagedKeyProps } from '../key/managed-key';

/** Options of one replica made by `MultiRegionKey.replicateTo`. */
export interface RegionReplicaOptions extends ReplicaKeyOptions {
  /**
   * The construct id of the replica in its stack.
   * @default - the primary's construct id
   */
  readonly id?: string;
}

/**
 * A multi-Region primary key (a ManagedKey with `multiRegion: true`) and its replicas: each
 * `replicateTo(stack)` makes a ReplicaKey in that stack's Region with the primary's roles,
 * conditions and aliases, so one definition yields one equal key policy per Region. Anything a
 * Region needs differently is an option of its replica.
 */
export class MultiRegionKey extends ManagedKey {
  private readonly replicaList: ReplicaKey[] = [];
  private readonly aliasInheritors = new Set<ReplicaKey>();

  constructor(scope: Construct, id: string, props: ManagedKeyProps = {}) {
    if (props.multiRegion === false) {
      throw validationError(scope, [`${id} is a MultiRegionKey, which is always multi-Region: remove multiRegion: false`]);
    }
    super(scope, id, { ...props, multiRegion: true });
    // The parameter replica stacks read exists from the start, so the first replica changes nothing here.
    publishPrimaryKeyArn(this);
  }

  /** Makes a replica of this key in the Region of `scope`'s stack (an environment of this account). */
  public replicateTo(scope: Construct, options: RegionReplicaOptions = {}): ReplicaKey {
    const { id, ...replicaOptions } = options;
    const replica = new ReplicaKey(scope, id ?? this.node.id, { ...replicaOptions, primaryKey: this });
    this.replicaList.push(replica);
    if (options.aliases === undefined) this.aliasInheritors.add(replica);
    return replica;
  }

  /** The replicas made so far, in the order they were made. */
  public get replicas(): ReplicaKey[] {
    return [...this.replicaList];
  }

  /** The replica in `region`, if there is one. */
  public replicaIn(region: string): ReplicaKey | undefined {
    return this.replicaList.find((replica) => replica.region === region);
  }

  /**
   * The ARN of this key in `region`, usable in the primary's stack: a multi-Region key has the
   * same key id in every Region, so the ARN differs only by Region (e.g. for the `replicaKeyArns`
   * of `dynamodb.TableEncryptionV2.customerManagedKey`, with no cross-Region reference).
   */
  public keyArnIn(region: string): string {
    return Stack.of(this).formatArn({ service: 'kms', region, resource: 'key', resourceName: this.keyId });
  }

  /** Adds an alias to the primary and to every replica that takes the primary's aliases. */
  public addAlias(alias: string): kms.Alias {
    const created = super.addAlias(alias);
    // Called by ManagedKey's constructor before this class's fields exist: no replicas yet then.
    for (const replica of this.aliasInheritors ?? []) replica.addAlias(alias);
    return created;
  }
}
