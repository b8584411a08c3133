import { DefaultStackSynthesizer, Duration, Fn, Lazy, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { aws_kms as kmsRefs } from 'aws-cdk-lib/interfaces';
import { Construct, IDependable } from 'constructs';
import { assertNoProblems } from '../errors';
import { ActionKind, expandActions, KeyFacts, kindOf } from './action-catalogue';
import { KeyActions } from './actions';
import { actionsOfCapability, defaultUsageOfSpec, KeyCapability, sortedUnion } from './capability';
import { deployerStatements, mayNeedDeployerAccess, servicesCreatingEncryptedResources } from './deployer-access';
import { renderStatement } from './grant-statements';
import { holdsIdentityPolicies, identityGrants } from './identity-grants';
import { KeyService } from './key-service';
import { KeyUser } from './key-user';
import { buildKeyPolicyStatements, KeyPolicyPosture, PolicyAccess } from './policy-model';
import { biggestStatements, KEY_POLICY_MAX_BYTES, keyPolicySize } from './policy-size';
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
export class ManagedKey extends Resource implements kms.IKey {
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
  private readonly grantees: iam.IPrincipal[] = [];
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
    if (this.posture === KeyPolicyPosture.STRICT) shareScansDuringSynthesis(this);
  }

  /** A reference to this key for L1 constructs. */
  public get keyRef(): kmsRefs.KeyReference {
    return { keyArn: this.keyArn, keyId: this.keyId };
  }

  /** Adds a key user: a principal, a capability and conditions. */
  public addUser(user: KeyUser): void {
    assertNoProblems(this, [
      ...user._problems(),
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

  /** Adds a statement to the key policy (an escape hatch; prefer users and grants). */
  public addToResourcePolicy(statement: iam.PolicyStatement, _allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    this.extraStatements.push(statement);
    this.validatedGrants = undefined;
    return { statementAdded: true, policyDependable: this.resource };
  }

  /**
   * Grants actions on the key. Wildcards such as aws-cdk-lib's `kms:ReEncrypt*` are expanded to the
   * explicit actions they cover for this key; a name that is not a KMS key action is an error. In
   * IAM_DELEGATED the grant goes to the principal's IAM policy (and the key policy for other
   * accounts); in STRICT it goes to the key policy, the only source of access, and may give only
   * use, read-only metadata and grants for AWS resources.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    const expanded = expandActions(actions, this.keyFacts());
    const forbidden = this.posture === KeyPolicyPosture.STRICT ? expanded.actions.filter(isPowerOverKey) : [];
    assertNoProblems(this, [
      ...expanded.problems.map((problem) => `grant: ${problem}`),
      ...(forbidden.length > 0
        ? [`grant: ${forbidden.join(', ')} ${forbidden.length === 1 ? 'gives' : 'give'} power over the key, which in the STRICT posture only administrators ` +
          '(ManagedKeyProps.administrators) and the policy manager hold: pass the principal in administrators, or grant only use (grantDecrypt, grantEncrypt, ...)']
        : []),
    ]);
    this.grantees.push(grantee.grantPrincipal);
    const options = { grantee, actions: expanded.actions, resourceArns: [this.keyArn], resource: this, resourceSelfArns: ['*'] };
    if (this.posture === KeyPolicyPosture.IAM_DELEGATED) {
      return iam.Grant.addToPrincipalOrResource(options);
    }
    if (this.isOtherAccount(grantee.grantPrincipal)) {
      // The other account's IAM must allow it too.
      return iam.Grant.addToPrincipalAndResource(options);
    }
    // In the key's own account the key policy alone grants access; leaving the principal's IAM
    // policy alone also avoids a dependency cycle when the principal lives in another stack.
    const statement = new iam.PolicyStatement({ actions: expanded.actions, resources: ['*'], principals: [grantee.grantPrincipal] });
    const added = iam.Grant.addStatementToResourcePolicy({ ...options, statement });
    return keyPolicyGrant(options, statement, added);
  }

  /** Grants decryption. */
  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.DECRYPT);
  }

  /** Grants encryption (and data-key generation for symmetric keys). */
  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.ENCRYPT);
  }

  /** Grants encryption and decryption. */
  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.ENCRYPT_DECRYPT);
  }

  /** Grants signing. */
  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.SIGN);
  }

  /** Grants signature verification. */
  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.VERIFY);
  }

  /** Grants signing and verification. */
  public grantSignVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.SIGN_VERIFY);
  }

  /** Grants MAC generation. */
  public grantGenerateMac(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.GENERATE_MAC);
  }

  /** Grants MAC verification. */
  public grantVerifyMac(grantee: iam.IGrantable): iam.Grant {
    return this.grantCapability(grantee, KeyCapability.VERIFY_MAC);
  }

  /** The statements of the key policy, as the policy model builds them (grants included). */
  public policyStatements(): iam.PolicyStatement[] {
    const statements = buildKeyPolicyStatements({
      posture: this.posture,
      accountRoot: new iam.AccountRootPrincipal(),
      administration: this.administration(),
      policyManagement: this.policyManager
        ? { sid: 'PolicyManagerForCloudFormation', principals: [this.policyManager], actions: this.policyManagerActions() }
        : undefined,
      uses: [...this.userAccesses(), ...this.serviceAccesses()],
      createGrantGuard: this.props.createGrantGuard ?? true,
    });
    // The guard stays last, after any statement added through grants and addToResourcePolicy.
    const guard = statements.length > 0 && statements[statements.length - 1].effect === iam.Effect.DENY ? [statements.pop()!] : [];
    return [...statements, ...(this.validatedGrants ?? this.grantStatements()).statements, ...guard];
  }

  /** What the key is (spec, usage, multi-Region, imported material): decides which actions apply. */
  private keyFacts(): KeyFacts {
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
      key: this.keyFacts(),
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

  private isOtherAccount(principal: iam.IPrincipal): boolean {
    const account = principal.principalAccount;
    return account !== undefined && !Token.isUnresolved(account) && !Token.isUnresolved(this.stack.account) && account !== this.stack.account;
  }

  private grantCapability(grantee: iam.IGrantable, capability: KeyCapability): iam.Grant {
    assertNoProblems(this, capabilityProblems(capability, this.keySpec, this.keyUsage));
    return this.grant(grantee, ...actionsOfCapability(capability, this.keySpec));
  }

  private policyDocument(): iam.PolicyDocument {
    return new iam.PolicyDocument({ statements: this.policyStatements(), minimize: true });
  }

  private administration(): PolicyAccess | undefined {
    if (this.administrators.length === 0) return undefined;
    const actions = [
      KeyActions.ADMINISTER,
      this.posture === KeyPolicyPosture.IAM_DELEGATED ? KeyActions.CHANGE_POLICY : [],
      this.multiRegion ? KeyActions.ADMINISTER_MULTI_REGION : [],
      this.props.origin === KeyOrigin.EXTERNAL ? KeyActions.ADMINISTER_IMPORTED_MATERIAL : [],
    ];
    return { sid: 'KeyAdministration', principals: this.administrators, actions: sortedUnion(...actions) };
  }

  /** Exactly what CloudFormation needs to create, update and delete the key and its aliases. */
  private policyManagerActions(): string[] {
    return sortedUnion(
      KeyActions.CLOUDFORMATION_MANAGEMENT,
      this.multiRegion ? KeyActions.ADMINISTER_MULTI_REGION : [],
    );
  }

  private userAccesses(): PolicyAccess[] {
    return this.users.map((user) => ({
      sid: `Use${pascal(user.capability)}`,
      principals: [user.principal],
      actions: actionsOfCapability(user.capability, this.keySpec),
      conditions: user._conditions(this),
    }));
  }

  private serviceAccesses(): PolicyAccess[] {
    return this.services.map((service) => {
      const access = service._access(this, this.keySpec);
      return { sid: `Service${service.name}`, principals: [access.principal], actions: access.actions, conditions: access.conditions };
    });
  }

  private defaultPolicyManager(): iam.IPrincipal {
    const synthesizer = Stack.of(this).synthesizer;
    if (synthesizer instanceof DefaultStackSynthesizer) {
      // The synthesizer's ARN may hold `${AWS::Partition}`-style placeholders meant for Fn::Sub.
      const arn = synthesizer.cloudFormationExecutionRoleArn;
      return new iam.ArnPrincipal(arn.includes('${') ? Fn.sub(arn) : arn);
    }
    assertNoProblems(this, [
      `the STRICT posture needs a policy manager, and the stack's ${synthesizer.constructor.name} has no CloudFormation execution role: ` +
      'pass policyManager (e.g. iam.Role.fromRoleArn(this, "Deployer", "arn:aws:iam::111122223333:role/deployer")) — the principal that deploys this stack',
    ]);
    throw new Error('unreachable');
  }

  /** Problems only visible once every user and grant is added: separation of duties and size. */
  private policyProblems(): string[] {
    const stack = Stack.of(this);
    const identity = (p: iam.IPrincipal) => JSON.stringify(stack.resolve(p.policyFragment.principalJson));
    const problems: string[] = [];
    if (!this.props.allowAdministratorAsUser) {
      const managers = new Set([...this.administrators, ...(this.policyManager ? [this.policyManager] : [])].map(identity));
      const both = [...this.users.map((u) => u.principal), ...this.grantees].filter((p) => managers.has(identity(p)));
      if (both.length > 0) {
        const names = [...new Set(both.map((p) => (Construct.isConstruct(p) ? p.node.path : identity(p))))];
        problems.push(`${names.join(', ')} is both administrator and user of the key: ` +
          'use separate principals (separation of duties), or set allowAdministratorAsUser: true');
      }
    }
    // Rendered once per validation: the app is prepared and does not change before synthesis,
    // which builds the policy from the same result (STRICT reads the whole app for it).
    this.validatedGrants = undefined;
    const grants = this.grantStatements();
    problems.push(...grants.problems);
    this.validatedGrants = grants;
    const resolved = stack.resolve(this.policyDocument());
    const size = keyPolicySize(resolved);
    if (size > KEY_POLICY_MAX_BYTES) {
      problems.push(`the key policy is about ${size} bytes, over the ${KEY_POLICY_MAX_BYTES}-byte limit of KMS; the biggest statements: ` +
        `${biggestStatements(resolved, 3).join(', ')}. Give principals the same conditions so their statements merge, or use IAM_DELEGATED and grant through IAM`);
    }
    return problems;
  }
}

/** The resource types a STRICT key reads from the app (one function, so keys share one scan). */
function readByStrictKeys(type: string): boolean {
  return holdsIdentityPolicies(type) || mayNeedDeployerAccess(type);
}

/** Administration and the policy: what `grant()` may not hand out in STRICT. */
function isPowerOverKey(action: string): boolean {
  const kind = kindOf(action);
  return kind === ActionKind.ADMINISTER || kind === ActionKind.POLICY;
}

/**
 * A STRICT grant whose principal statement is the key-policy statement: aws-cdk-lib amends
 * `grant.principalStatement` after granting (ec2.Volume adds conditions and actions), and in STRICT
 * that statement is where the access lives. (iam.Grant has no public factory for this.)
 */
function keyPolicyGrant(options: iam.GrantWithResourceOptions, statement: iam.PolicyStatement, dependable: IDependable): iam.Grant {
  const GrantClass = iam.Grant as unknown as new (props: object) => iam.Grant;
  return new GrantClass({ options, principalStatement: statement, resourceStatement: statement, policyDependable: dependable });
}

function pascal(value: string): string {
  return value.toLowerCase().split(/[_\s-]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
