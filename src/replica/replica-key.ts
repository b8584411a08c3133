import { Duration, Lazy, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { publishPrimaryKeyArn, readPrimaryKeyArn } from './primary-arn';
import { environmentProblems, parsePrimaryKeyArn, placementProblems, primaryKeyProblems } from './validation';
import { assertNoProblems } from '../errors';
import { KeyActions } from '../key/actions';
import { defaultUsageOfSpec } from '../key/capability';
import { defaultPolicyManager, KeyFacts, keyPolicyProblems, keyPolicyStatements, KeyRoles } from '../key/key-policy-parts';
import { KeyService } from '../key/key-service';
import { KeyUser } from '../key/key-user';
import { KeyRotationOptions, ManagedKey } from '../key/managed-key';
import { ManagedKeyBase } from '../key/managed-key-base';
import { KeyPolicyPosture } from '../key/policy-model';
import { aliasName, aliasProblems, capabilityProblems, keyUsageProblems, pendingWindowProblems } from '../key/validation';
import { PRIMARY_KEY_METADATA } from '../lint/replica-link';


/**
 * What a replica may set for its own Region. Role props left out are the primary's when the replica
 * is made from a ManagedKey (read when the app synthesizes, so users added to the primary later
 * are the replica's too).
 */
export interface ReplicaKeyOptions {
  /**
   * What the key protects.
   * @default - the primary's description (from a ManagedKey), else none
   */
  readonly description?: string;

  /**
   * Alias names in the replica's Region; `orders` becomes `alias/orders`.
   * @default - the primary's aliases (from a ManagedKey), else none
   */
  readonly aliases?: string[];

  /**
   * Principals that manage the replica and never use it.
   * @default - the primary's administrators (from a ManagedKey), else none
   */
  readonly administrators?: iam.IPrincipal[];

  /**
   * Principals that use the replica, with capabilities and conditions (`viaService` endpoints are
   * the replica's Region).
   * @default - the primary's users (from a ManagedKey), else none
   */
  readonly users?: KeyUser[];

  /**
   * AWS service principals that use the replica (principals and source ARNs of its Region).
   * @default - the primary's services (from a ManagedKey), else none
   */
  readonly services?: KeyService[];

  /**
   * Whether IAM policies can grant use of the replica (IAM_DELEGATED) or only its key policy (STRICT).
   * @default - the primary's posture (from a ManagedKey), else KeyPolicyPosture.IAM_DELEGATED
   */
  readonly posture?: KeyPolicyPosture;

  /**
   * In the STRICT posture, the principal that creates, updates and deletes the replica through
   * CloudFormation and alone may change its policy.
   * @default - the primary's policyManager when one was given, else the CloudFormation execution role of the replica's stack
   */
  readonly policyManager?: iam.IPrincipal;

  /**
   * Deny `kms:CreateGrant` unless the grant is for an AWS resource (Control Tower CT.KMS.PR.3).
   * @default - the primary's setting (from a ManagedKey), else true
   */
  readonly createGrantGuard?: boolean;

  /**
   * Allow a principal to be both administrator and user (separation of duties off).
   * @default - the primary's setting (from a ManagedKey), else false
   */
  readonly allowAdministratorAsUser?: boolean;

  /**
   * Days between scheduling the replica's deletion and its deletion (7 to 30).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * What happens to the replica when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether the replica is enabled.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Tags of the replica key.
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * Not allowed: a replica rotates with its primary (KMS rotates every replica when the primary
   * rotates). Set rotation on the primary key; any value here is a synth error saying so.
   * @default - rotation follows the primary
   */
  readonly rotation?: KeyRotationOptions;
}

/** Properties of a ReplicaKey: its primary (a ManagedKey or an ARN) and its own options. */
export interface ReplicaKeyProps extends ReplicaKeyOptions {
  /**
   * The multi-Region primary key, in another Region of the same account. The replica takes its
   * roles, aliases and key spec, and its stack deploys after the primary's.
   * @default - give primaryKeyArn instead
   */
  readonly primaryKey?: ManagedKey;

  /**
   * The ARN of a multi-Region primary key made elsewhere (`arn:aws:kms:<region>:<account>:key/mrk-...`).
   * @default - give primaryKey instead
   */
  readonly primaryKeyArn?: string;

  /**
   * The primary's key spec, with primaryKeyArn (it decides which actions each capability needs).
   * @default - the primary's (from a ManagedKey), else kms.KeySpec.SYMMETRIC_DEFAULT
   */
  readonly keySpec?: kms.KeySpec;

  /**
   * The primary's key usage, with primaryKeyArn.
   * @default - the primary's (from a ManagedKey), else the first usage the key spec supports
   */
  readonly keyUsage?: kms.KeyUsage;
}

/** Regions that already hold a replica, per primary construct (one replica per Region). */
const replicaRegions = new WeakMap<ManagedKey, Map<string, string>>();

/**
 * A replica of a multi-Region key (`AWS::KMS::ReplicaKey`) in the stack of its Region. Its key
 * policy is built by the same policy model as ManagedKey's, from the primary's roles by default,
 * with the Region-specific parts computed for its own Region. Rotation follows the primary.
 * Implements `kms.IKey`, so aws-cdk-lib's grants and encryption props work as with ManagedKey.
 */
export class ReplicaKey extends ManagedKeyBase {
  /** The ARN of the replica (the primary's ARN with the replica's Region). */
  public readonly keyArn: string;
  /** The id of the replica (the primary's key id). */
  public readonly keyId: string;
  /** The ARN of the primary key (a token read at deploy time when the primary is a construct). */
  public readonly primaryKeyArn: string;
  /** The policy posture. */
  public readonly posture: KeyPolicyPosture;
  /** The key spec (the primary's). */
  public readonly keySpec: kms.KeySpec;
  /** The key usage (the primary's). */
  public readonly keyUsage: kms.KeyUsage;
  /** The underlying CloudFormation resource. */
  public readonly resource: kms.CfnReplicaKey;

  private readonly props: ReplicaKeyProps;
  private readonly primary?: ManagedKey;
  private readonly policyManager?: iam.IPrincipal;
  private readonly addedUsers: KeyUser[] = [];
  private readonly addedServices: KeyService[] = [];
  private readonly extraStatements: iam.PolicyStatement[] = [];
  private readonly aliasNames: string[] = [];

  constructor(scope: Construct, id: string, props: ReplicaKeyProps) {
    super(scope, id);
    this.props = props;
    this.primary = props.primaryKey;
    const stack = Stack.of(this);
    const primary = props.primaryKey;

    assertNoProblems(this, sourceProblems(props));
    assertNoProblems(this, [
      ...environmentProblems(stack, 'replica'),
      ...(primary ? environmentProblems(Stack.of(primary), 'primary') : []),
    ]);
    const parsed = props.primaryKeyArn !== undefined ? parsePrimaryKeyArn(props.primaryKeyArn) : { problems: [] };
    const primaryPlace = primary ? { region: Stack.of(primary).region, account: Stack.of(primary).account } : parsed.parts;
    assertNoProblems(this, [
      ...parsed.problems,
      ...(primary ? primaryKeyProblems({
        multiRegion: primary.multiRegion,
        origin: primary.resource.origin,
        path: primary.node.path,
      }) : []),
      ...placementProblems({
        replicaRegion: stack.region,
        replicaAccount: stack.account,
        primaryRegion: primaryPlace?.region,
        primaryAccount: primaryPlace?.account,
      }),
    ]);

    this.keySpec = primary?.keySpec ?? props.keySpec ?? kms.KeySpec.SYMMETRIC_DEFAULT;
    this.keyUsage = primary?.keyUsage ?? props.keyUsage ?? defaultUsageOfSpec(this.keySpec);
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    assertNoProblems(this, [
      ...(props.rotation !== undefined
        ? ['a replica key rotates with its primary (KMS rotates the shared key material of every replica): remove rotation here and set it on the primary key']
        : []),
      ...keyUsageProblems(this.keySpec, this.keyUsage),
      ...pendingWindowProblems(pendingWindow),
      ...(props.aliases ? aliasProblems(props.aliases) : []),
    ]);
    if (primary) this.claimRegion(primary, stack.region);

    this.posture = props.posture ?? primary?.posture ?? KeyPolicyPosture.IAM_DELEGATED;
    this.policyManager = this.posture === KeyPolicyPosture.STRICT
      ? (props.policyManager ?? primary?._replicaDefaults().policyManager ?? defaultPolicyManager(this))
      : undefined;

    this.primaryKeyArn = primary ? this.primaryArnFrom(primary) : props.primaryKeyArn!;
    this.resource = new kms.CfnReplicaKey(this, 'Resource', {
      primaryKeyArn: this.primaryKeyArn,
      description: props.description ?? primary?.resource.description,
      enabled: props.enabled,
      pendingWindowInDays: pendingWindow.toDays(),
      keyPolicy: Lazy.any({ produce: () => this.policyDocument() }),
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    if (primary) {
      const primaryStack = Stack.of(primary);
      this.resource.addMetadata(PRIMARY_KEY_METADATA, {
        StackName: primaryStack.stackName,
        StackPath: primaryStack.node.path,
        LogicalId: Lazy.string({ produce: () => primaryStack.resolve(primary.resource.logicalId) }),
        Region: primaryStack.region,
        Account: primaryStack.account,
        ReplicaRegion: stack.region,
      });
    }
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this).add(key, value);
    this.keyArn = this.resource.attrArn;
    this.keyId = this.resource.attrKeyId;

    for (const alias of props.aliases ?? primary?.aliases ?? []) this.addAlias(alias);
    this.node.addValidation({ validate: () => this.policyProblems() });
  }

  /** The Region of the replica. */
  public get region(): string {
    return Stack.of(this).region;
  }

  /** Adds a key user of this replica only. */
  public addUser(user: KeyUser): void {
    assertNoProblems(this, [...user._problems(this), ...capabilityProblems(user.capability, this.keySpec, this.keyUsage)]);
    this.addedUsers.push(user);
  }

  /** Adds an AWS service principal that may use this replica. */
  public addService(service: KeyService): void {
    this.addedServices.push(service);
  }

  /** Adds an alias in the replica's Region (`orders` becomes `alias/orders`). */
  public addAlias(alias: string): kms.Alias {
    const name = aliasName(alias);
    assertNoProblems(this, aliasProblems([...this.aliasNames, name]));
    this.aliasNames.push(name);
    return new kms.Alias(this, `Alias${this.aliasNames.length === 1 ? '' : this.aliasNames.length}`, { aliasName: name, targetKey: this });
  }

  /** The alias names of this replica, with their `alias/` prefix. */
  public get aliases(): string[] {
    return [...this.aliasNames];
  }

  /** Adds a statement to the replica's key policy (an escape hatch; prefer users and grants). */
  public addToResourcePolicy(statement: iam.PolicyStatement, _allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    this.extraStatements.push(statement);
    return { statementAdded: true, policyDependable: this.resource };
  }

  /** @internal */
  protected _actionFacts() {
    return { keySpec: this.keySpec, keyUsage: this.keyUsage, multiRegion: true, importedMaterial: false };
  }

  /** The statements of the replica's key policy, as the policy model builds them (grants included). */
  public policyStatements(): iam.PolicyStatement[] {
    return keyPolicyStatements(this, this.roles(), this.facts());
  }

  private roles(): KeyRoles {
    const inherited = this.primary?._roles();
    return {
      posture: this.posture,
      administrators: this.props.administrators ?? inherited?.administrators ?? [],
      policyManager: this.policyManager,
      users: [...(this.props.users ?? inherited?.users ?? []), ...this.addedUsers],
      services: [...(this.props.services ?? inherited?.services ?? []), ...this.addedServices],
      // The primary's grants and escape-hatch statements name resources of its Region: not copied.
      extraStatements: this.extraStatements,
      createGrantGuard: this.props.createGrantGuard ?? inherited?.createGrantGuard ?? true,
    };
  }

  private facts(): KeyFacts {
    // A replica may become the primary (UpdatePrimaryRegion), so it is administered like one.
    return { keySpec: this.keySpec, multiRegion: true, importedMaterial: this.primary?.resource.origin === 'EXTERNAL' };
  }

  private policyDocument(): iam.PolicyDocument {
    return new iam.PolicyDocument({ statements: this.policyStatements(), minimize: true });
  }

  private policyProblems(): string[] {
    for (const user of this.props.users ?? []) {
      assertNoProblems(this, [...user._problems(this), ...capabilityProblems(user.capability, this.keySpec, this.keyUsage)]);
    }
    return keyPolicyProblems(this, this.roles(), {
      grantees: this._grantees,
      allowAdministratorAsUser: this.props.allowAdministratorAsUser ?? this.primary?._replicaDefaults().allowAdministratorAsUser ?? false,
      statements: this.policyStatements(),
      document: this.policyDocument(),
    });
  }

  private claimRegion(primary: ManagedKey, region: string): void {
    const regions = replicaRegions.get(primary) ?? new Map<string, string>();
    const existing = regions.get(region);
    assertNoProblems(this, existing !== undefined
      ? [`${primary.node.path} already has a replica in ${region} (${existing}): KMS allows one replica per Region; remove one of them`]
      : []);
    regions.set(region, this.node.path);
    replicaRegions.set(primary, regions);
  }

  /**
   * The primary's ARN through the SSM parameter of its Region; the replica's stack deploys after
   * the primary's. In STRICT, the primary's policy lets this stack's policy manager replicate it.
   */
  private primaryArnFrom(primary: ManagedKey): string {
    const primaryStack = Stack.of(primary);
    const parameterName = publishPrimaryKeyArn(primary);
    Stack.of(this).addDependency(primaryStack, `the replica ${this.node.path} reads the ARN of its primary ${primary.node.path}`);
    if (primary.posture === KeyPolicyPosture.STRICT && this.policyManager) {
      primary._allowReplicationBy(new iam.PolicyStatement({
        sid: `ReplicateTo${Stack.of(this).region.replace(/[^a-zA-Z0-9]/g, '')}`,
        principals: [this.policyManager],
        actions: [...KeyActions.DESCRIBE, 'kms:ReplicateKey'],
        resources: ['*'],
      }));
    }
    return readPrimaryKeyArn(this, {
      parameterName,
      region: primaryStack.region,
      account: primaryStack.account,
    });
  }
}

function sourceProblems(props: ReplicaKeyProps): string[] {
  if (props.primaryKey && props.primaryKeyArn !== undefined) {
    return ['give either primaryKey or primaryKeyArn, not both'];
  }
  if (!props.primaryKey && props.primaryKeyArn === undefined) {
    return ['a replica needs its primary: give primaryKey (a multi-Region ManagedKey) or primaryKeyArn (arn:aws:kms:<region>:<account>:key/mrk-...)'];
  }
  if (props.primaryKey && (props.keySpec !== undefined || props.keyUsage !== undefined)) {
    return ['keySpec and keyUsage come from the primaryKey: remove them (a replica always has its primary\'s key spec and usage)'];
  }
  return [];
}
