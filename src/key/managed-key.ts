import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { assertNoProblems } from '../errors';
import { KeyFacts as ActionFacts } from './action-catalogue';
import { checkAliasesUniquePerEnvironment } from './alias-uniqueness';
import { defaultUsageOfSpec } from './capability';
import { deployerStatements, mayNeedDeployerAccess, servicesCreatingEncryptedResources } from './deployer-access';
import { renderStatement } from './grant-statements';
import { holdsIdentityPolicies, identityGrants } from './identity-grants';
import { defaultPolicyManager, KeyFacts, keyPolicyProblems, keyPolicyStatements, KeyRoles } from './key-policy-parts';
import { KeyService } from './key-service';
import { KeyUser } from './key-user';
import { ManagedKeyBase } from './managed-key-base';
import { KeyPolicyPosture } from './policy-model';
import { namedPrincipalProblems } from './principal-checks';
import { KeyReference, scanResources, shareScansDuringSynthesis } from './template-scan';
import {
  aliasName, aliasProblems, capabilityProblems, keyUsageProblems, pendingWindowProblems, rotationProblems,
  whyRotationImpossible,
} from './validation';

/** Automatic rotation of the key material. */
export interface KeyRotationOptions {
  /**
   * Whether KMS rotates the key material automatically.
   * @default - true where the key can rotate (symmetric encryption keys with KMS key material)
   */
  readonly enabled?: boolean;

  /**
   * How often (90 to 2560 days).
   * @default Duration.days(365)
   */
  readonly period?: Duration;
}

/** Where the key material comes from. */
export enum KeyOrigin {
  /** KMS generates the key material. */
  AWS_KMS = 'AWS_KMS',
  /** You import the key material later (it cannot rotate automatically). */
  EXTERNAL = 'EXTERNAL',
}

/** Properties of a ManagedKey. */
export interface ManagedKeyProps {
  /**
   * What the key protects.
   * @default - no description
   */
  readonly description?: string;

  /**
   * Alias names; `orders` becomes `alias/orders`.
   * @default - no aliases
   */
  readonly aliases?: string[];

  /**
   * Principals that manage the key (enable, disable, rotate, tag, alias, schedule deletion) and
   * never use it.
   * @default - none; in IAM_DELEGATED the account's IAM policies can still administer the key
   */
  readonly administrators?: iam.IPrincipal[];

  /**
   * Principals that use the key, each with a capability and conditions.
   * @default - none; add more with `addUser` or the `grant*` methods
   */
  readonly users?: KeyUser[];

  /**
   * AWS service principals that use the key, each pinned to the key's account or a source ARN.
   * @default - none
   */
  readonly services?: KeyService[];

  /**
   * Whether IAM policies can grant use of the key (IAM_DELEGATED) or only the key policy (STRICT).
   * @default KeyPolicyPosture.IAM_DELEGATED
   */
  readonly posture?: KeyPolicyPosture;

  /**
   * In the STRICT posture, the principal that creates, updates and deletes the key through
   * CloudFormation and alone may change its policy.
   * @default - the CloudFormation execution role of the stack's DefaultStackSynthesizer
   */
  readonly policyManager?: iam.IPrincipal;

  /**
   * Automatic rotation.
   * @default - on, every 365 days, where the key spec allows
   */
  readonly rotation?: KeyRotationOptions;

  /**
   * Whether this is the primary key of a multi-Region key.
   * @default false
   */
  readonly multiRegion?: boolean;

  /**
   * The key spec.
   * @default kms.KeySpec.SYMMETRIC_DEFAULT
   */
  readonly keySpec?: kms.KeySpec;

  /**
   * The key usage.
   * @default - the first usage the key spec supports (ENCRYPT_DECRYPT, SIGN_VERIFY for ECC, GENERATE_VERIFY_MAC for HMAC)
   */
  readonly keyUsage?: kms.KeyUsage;

  /**
   * Where the key material comes from.
   * @default KeyOrigin.AWS_KMS
   */
  readonly origin?: KeyOrigin;

  /**
   * Days between scheduling the key's deletion and its deletion (7 to 30).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * What happens to the key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether the key is enabled.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Allow a principal to be both administrator and user (separation of duties off).
   * @default false
   */
  readonly allowAdministratorAsUser?: boolean;

  /**
   * Deny `kms:CreateGrant` unless the grant is for an AWS resource (Control Tower CT.KMS.PR.3).
   * @default true
   */
  readonly createGrantGuard?: boolean;
}

/**
 * A customer-managed KMS key whose key policy separates the principals that manage the key from
 * the ones that use it, with rotation on by default. Implements `kms.IKey`, so it can be passed
 * anywhere aws-cdk-lib takes an encryption key, and `bucket.grantRead(role)`-style grants work in
 * both postures.
 */
export class ManagedKey extends ManagedKeyBase {
  /** A key made elsewhere, by ARN. */
  public static fromKeyArn(scope: Construct, id: string, keyArn: string): kms.IKey {
    return kms.Key.fromKeyArn(scope, id, keyArn);
  }

  /** The ARN of the key. */
  public readonly keyArn: string;
  /** The id of the key. */
  public readonly keyId: string;
  /** The policy posture. */
  public readonly posture: KeyPolicyPosture;
  /** The key spec. */
  public readonly keySpec: kms.KeySpec;
  /** The key usage. */
  public readonly keyUsage: kms.KeyUsage;
  /** Whether automatic rotation is on. */
  public readonly rotationEnabled: boolean;
  /** Days between automatic rotations, when rotation is on. */
  public readonly rotationPeriodDays?: number;
  /** Whether this is a multi-Region primary key. */
  public readonly multiRegion: boolean;
  /** The underlying CloudFormation resource. */
  public readonly resource: kms.CfnKey;

  private readonly administrators: iam.IPrincipal[];
  private readonly policyManager?: iam.IPrincipal;
  private readonly users: KeyUser[] = [];
  private readonly services: KeyService[] = [];
  private readonly extraStatements: iam.PolicyStatement[] = [];
  private readonly replicationStatements: iam.PolicyStatement[] = [];
  private validatedGrants?: { statements: iam.PolicyStatement[]; problems: string[] };
  private readonly aliasNames: string[] = [];
  private readonly props: ManagedKeyProps;

  constructor(scope: Construct, id: string, props: ManagedKeyProps = {}) {
    super(scope, id);
    this.props = props;
    this.posture = props.posture ?? KeyPolicyPosture.IAM_DELEGATED;
    this.keySpec = props.keySpec ?? kms.KeySpec.SYMMETRIC_DEFAULT;
    this.keyUsage = props.keyUsage ?? defaultUsageOfSpec(this.keySpec);
    this.multiRegion = props.multiRegion ?? false;
    this.administrators = [...(props.administrators ?? [])];

    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    const rotationFacts = { keySpec: this.keySpec, importedMaterial: props.origin === KeyOrigin.EXTERNAL, customKeyStore: false };
    assertNoProblems(this, [
      ...keyUsageProblems(this.keySpec, this.keyUsage),
      ...rotationProblems(rotationFacts, props.rotation?.enabled, props.rotation?.period),
      ...pendingWindowProblems(pendingWindow),
      ...aliasProblems(props.aliases ?? []),
    ]);
    this.rotationEnabled = props.rotation?.enabled ?? whyRotationImpossible(rotationFacts) === undefined;
    this.rotationPeriodDays = this.rotationEnabled ? (props.rotation?.period ?? Duration.days(365)).toDays() : undefined;
    this.policyManager = this.posture === KeyPolicyPosture.STRICT ? (props.policyManager ?? this.defaultPolicyManager()) : undefined;
    assertNoProblems(this, [
      ...namedPrincipalProblems('administrator', this.administrators, this),
      ...namedPrincipalProblems('policy manager', this.policyManager ? [this.policyManager] : [], this),
    ]);

    this.resource = new kms.CfnKey(this, 'Resource', {
      description: props.description,
      keySpec: this.keySpec,
      keyUsage: this.keyUsage,
      origin: props.origin,
      multiRegion: this.multiRegion || undefined,
      enabled: props.enabled,
      enableKeyRotation: this.rotationEnabled,
      rotationPeriodInDays: this.rotationPeriodDays,
      pendingWindowInDays: pendingWindow.toDays(),
      keyPolicy: Lazy.any({ produce: () => this.policyDocument() }),
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.keyArn = this.resource.attrArn;
    this.keyId = this.resource.attrKeyId;

    for (const user of props.users ?? []) this.addUser(user);
    for (const service of props.services ?? []) this.addService(service);
    for (const alias of props.aliases ?? []) this.addAlias(alias);

    this.node.addValidation({ validate: () => this.policyProblems() });
    checkAliasesUniquePerEnvironment(this);
    if (this.posture === KeyPolicyPosture.STRICT) shareScansDuringSynthesis(this);
  }

  /** Adds a key user: a principal, a capability and conditions. */
  public addUser(user: KeyUser): void {
    assertNoProblems(this, [
      ...user._problems(this),
      ...capabilityProblems(user.capability, this.keySpec, this.keyUsage),
    ]);
    this.users.push(user);
  }

  /** Adds an AWS service principal that may use the key. */
  public addService(service: KeyService): void {
    this.services.push(service);
  }

  /** Adds an alias (`orders` becomes `alias/orders`). */
  public addAlias(alias: string): kms.Alias {
    const name = aliasName(alias);
    assertNoProblems(this, aliasProblems([...this.aliasNames, name]));
    this.aliasNames.push(name);
    return new kms.Alias(this, `Alias${this.aliasNames.length === 1 ? '' : this.aliasNames.length}`, { aliasName: name, targetKey: this });
  }

  /** The alias names of this key, with their `alias/` prefix. */
  public get aliases(): string[] {
    return [...this.aliasNames];
  }

  /**
   * Lets the policy manager of a replica's stack replicate this key (STRICT: CloudFormation needs
   * kms:ReplicateKey on the primary). A policy-manager statement, kept apart from grants, which may
   * never give administration in STRICT.
   * @internal
   */
  public _allowReplicationBy(statement: iam.PolicyStatement): void {
    this.replicationStatements.push(statement);
  }

  /** Adds a statement to the key policy (an escape hatch; prefer users and grants). */
  public addToResourcePolicy(statement: iam.PolicyStatement, _allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    this.extraStatements.push(statement);
    this.validatedGrants = undefined;
    return { statementAdded: true, policyDependable: this.resource };
  }

  /**
   * A STRICT grant whose principal statement is the key-policy statement: aws-cdk-lib amends
   * `grant.principalStatement` after granting (ec2.Volume adds conditions and actions), and the
   * key renders its policy statements through the action catalogue when the policy is built.
   * @internal
   */
  protected _keyPolicyGrant(options: iam.GrantWithResourceOptions, statement: iam.PolicyStatement): iam.Grant {
    const added = iam.Grant.addStatementToResourcePolicy({ ...options, statement });
    const GrantClass = iam.Grant as unknown as new (props: object) => iam.Grant; // iam.Grant has no public factory for this
    return new GrantClass({ options, principalStatement: statement, resourceStatement: statement, policyDependable: added });
  }

  /** The statements of the key policy, as the policy model builds them (grants included). */
  public policyStatements(): iam.PolicyStatement[] {
    return keyPolicyStatements(this, this._roles(), this.facts());
  }

  /**
   * The role assignments of the key policy, as they are now (replicas copy them).
   * @internal
   */
  public _roles(): KeyRoles {
    return {
      posture: this.posture,
      administrators: this.administrators,
      policyManager: this.policyManager,
      users: this.users,
      services: this.services,
      extraStatements: [...(this.validatedGrants ?? this.grantStatements()).statements, ...this.replicationStatements],
      createGrantGuard: this.props.createGrantGuard ?? true,
    };
  }

  /**
   * What a replica of this key takes from it besides the roles: the policy manager when one was
   * given (the default is per stack), and whether administrators may also use the key.
   * @internal
   */
  public _replicaDefaults(): { policyManager?: iam.IPrincipal; allowAdministratorAsUser: boolean } {
    return { policyManager: this.props.policyManager, allowAdministratorAsUser: this.props.allowAdministratorAsUser ?? false };
  }

  /** @internal */
  protected _actionFacts(): ActionFacts {
    const importedMaterial = this.props.origin === KeyOrigin.EXTERNAL;
    return { keySpec: this.keySpec, keyUsage: this.keyUsage, multiRegion: this.multiRegion, importedMaterial };
  }

  /**
   * Statements from grants and addToResourcePolicy, rendered for the posture; in STRICT also the
   * identity grants found in the app and what the deployer needs for the encrypted resources that
   * use this key (see grant-statements.ts, identity-grants.ts, deployer-access.ts).
   */
  private grantStatements(): { statements: iam.PolicyStatement[]; problems: string[] } {
    const strict = this.posture === KeyPolicyPosture.STRICT;
    const ctx = {
      stack: this.stack,
      key: this._actionFacts(),
      strict,
      policyManager: this.policyManager,
      allowManagerUse: this.props.allowAdministratorAsUser ?? false,
    };
    const rendered = this.extraStatements.map((statement) => renderStatement(statement, ctx));
    if (strict && this.policyManager) {
      // Only the types that matter are resolved (never keys, whose policies are being built).
      const scanned = scanResources(this, readByStrictKeys);
      const reference = new KeyReference(this.stack, this.stack.resolve(this.resource.logicalId));
      const found = identityGrants(scanned, reference, this.stack);
      rendered.push({ statements: [], problems: found.problems });
      rendered.push(...found.statements.map((statement) => renderStatement(statement, ctx)));
      const services = servicesCreatingEncryptedResources(scanned, reference);
      rendered.push(...deployerStatements(services, this.policyManager, this.stack).map((statement) => renderStatement(statement, ctx, true)));
    }
    return { statements: rendered.flatMap((r) => r.statements), problems: rendered.flatMap((r) => r.problems) };
  }

  private policyDocument(): iam.PolicyDocument {
    return new iam.PolicyDocument({ statements: this.policyStatements(), minimize: true });
  }

  private facts(): KeyFacts {
    return { keySpec: this.keySpec, multiRegion: this.multiRegion, importedMaterial: this.props.origin === KeyOrigin.EXTERNAL };
  }

  private defaultPolicyManager(): iam.IPrincipal {
    return defaultPolicyManager(this);
  }

  /**
   * Problems only visible once every user and grant is added: separation of duties, principals a
   * key policy cannot name, conditions that would replace each other, our lint rules, and size.
   */
  private policyProblems(): string[] {
    // Rendered once per validation: the app is prepared and does not change before synthesis,
    // which builds the policy from the same result (STRICT reads the whole app for it).
    this.validatedGrants = undefined;
    const grants = this.grantStatements();
    this.validatedGrants = grants;
    if (grants.problems.length > 0) return grants.problems;
    return keyPolicyProblems(this, this._roles(), {
      grantees: this._grantees,
      allowAdministratorAsUser: this.props.allowAdministratorAsUser ?? false,
      statements: this.policyStatements(),
      document: this.policyDocument(),
    });
  }
}

/** The resource types a STRICT key reads from the app (one function, so keys share one scan). */
function readByStrictKeys(type: string): boolean {
  return holdsIdentityPolicies(type) || mayNeedDeployerAccess(type);
}
