import { CustomResource, Duration, Lazy, RemovalPolicy, TagManager, TagType, ITaggable } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KEY_MANAGEMENT_ACTIONS } from './handler';
import { CustomKeyStoreType, ICustomKeyStore } from './store-base';
import { xksKeyIdProblems } from './validation';
import { assertNoProblems } from '../errors';
import { KeyFacts, keyPolicyProblems, keyPolicyStatements, KeyRoles } from '../key/key-policy-parts';
import { KeyService } from '../key/key-service';
import { KeyUser } from '../key/key-user';
import { KeyOrigin, ManagedKeyProps } from '../key/managed-key';
import { ManagedKeyBase } from '../key/managed-key-base';
import { KeyPolicyPosture, PolicyAccess } from '../key/policy-model';
import { aliasName, aliasProblems, capabilityProblems, pendingWindowProblems } from '../key/validation';

/** Properties of a CustomStoreKey: those of ManagedKey, the store and (for XKS) the external key. */
export interface CustomStoreKeyProps extends ManagedKeyProps {
  /** The custom key store that holds the key material. */
  readonly keyStore: ICustomKeyStore;

  /**
   * The external key (its label on the HSM behind the XKS proxy) that backs the key; required in an
   * external key store, not allowed in a CloudHSM key store. Make one with `xks-proxy keys create`.
   * @default - none (CloudHSM key stores generate the key material in the cluster)
   */
  readonly xksKeyId?: string;
}

/**
 * A KMS key in a custom key store (an `ExternalKeyStore` or a `CloudHsmKeyStore`), made by the
 * store's custom resource because `AWS::KMS::Key` cannot name a custom key store. The key policy
 * comes from the same policy model as `ManagedKey` (administrators and users separated, the
 * CreateGrant guard, STRICT or IAM_DELEGATED), updates go through PutKeyPolicy, and a key leaving
 * the stack is kept (RETAIN) or scheduled for deletion with its pending window. Implements
 * `kms.IKey`, so aws-cdk-lib grants and `encryptionKey` props work with it.
 *
 * Keys in custom key stores are single-Region symmetric encryption keys without automatic
 * rotation, as KMS requires; ManagedKey props that ask for anything else fail at synth.
 */
export class CustomStoreKey extends ManagedKeyBase implements ITaggable {
  public readonly keyArn: string;
  public readonly keyId: string;
  /** The store that holds the key. */
  public readonly keyStore: ICustomKeyStore;
  /** The external key id (XKS), if any. */
  public readonly xksKeyId?: string;
  /** The policy posture. */
  public readonly posture: KeyPolicyPosture;
  /** The custom resource that manages the key. */
  public readonly resource: CustomResource;
  /** Tags of the key (stack tags flow here too). */
  public readonly tags: TagManager;

  private readonly props: CustomStoreKeyProps;
  private readonly administrators: iam.IPrincipal[];
  private readonly users: KeyUser[] = [];
  private readonly services: KeyService[] = [];
  private readonly extraStatements: iam.PolicyStatement[] = [];
  private readonly aliasNames: string[] = [];

  constructor(scope: Construct, id: string, props: CustomStoreKeyProps) {
    super(scope, id);
    this.props = props;
    this.keyStore = props.keyStore;
    this.xksKeyId = props.xksKeyId;
    this.posture = props.posture ?? KeyPolicyPosture.IAM_DELEGATED;
    this.administrators = [...(props.administrators ?? [])];
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    assertNoProblems(this, [...unsupportedProblems(props), ...pendingWindowProblems(pendingWindow), ...aliasProblems(props.aliases ?? [])]);

    this.tags = new TagManager(TagType.KEY_VALUE, 'Custom::KmsCustomStoreKey');
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.keyStore.serviceToken,
      resourceType: 'Custom::KmsCustomStoreKey',
      properties: {
        CustomKeyStoreId: props.keyStore.keyStoreId,
        Origin: props.keyStore.keyStoreType,
        XksKeyId: props.xksKeyId,
        Description: props.description,
        KeyPolicy: Lazy.any({ produce: () => this.policyDocument() }),
        PendingWindowInDays: String(pendingWindow.toDays()),
        Enabled: String(props.enabled ?? true),
        Tags: Lazy.any({ produce: () => this.tags.renderTags() }),
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The handler's IAM policy must exist before it creates the key.
    this.resource.node.addDependency(props.keyStore.handlerRole);
    this.keyId = this.resource.ref;
    this.keyArn = this.resource.getAttString('Arn');

    for (const user of props.users ?? []) this.addUser(user);
    for (const service of props.services ?? []) this.addService(service);
    for (const alias of props.aliases ?? []) this.addAlias(alias);
    this.node.addValidation({ validate: () => this.policyProblems() });
  }

  /** Adds a key user: a principal, a capability and conditions. */
  public addUser(user: KeyUser): void {
    const problems = capabilityProblems(user.capability, kms.KeySpec.SYMMETRIC_DEFAULT, kms.KeyUsage.ENCRYPT_DECRYPT);
    assertNoProblems(this, [...user._problems(this), ...problems]);
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
    return { statementAdded: true, policyDependable: this.resource };
  }

  /** @internal */
  protected _actionFacts() {
    return { keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT, multiRegion: false, importedMaterial: false };
  }

  /** The statements of the key policy, as the policy model builds them (grants included). */
  public policyStatements(): iam.PolicyStatement[] {
    return keyPolicyStatements(this, this.roles(), FACTS);
  }

  private policyDocument(): iam.PolicyDocument {
    return new iam.PolicyDocument({ statements: this.policyStatements(), minimize: true });
  }

  /**
   * The key's roles for the shared policy parts (key-policy-parts.ts). In STRICT the store's handler
   * is the policy manager: it creates the key and keeps its policy (PutKeyPolicy) in step.
   */
  private roles(): KeyRoles {
    const strict = this.posture === KeyPolicyPosture.STRICT;
    return {
      posture: this.posture,
      administrators: this.administrators,
      policyManager: strict ? this.keyStore.handlerRole : undefined,
      policyManagement: { sid: 'KeyManagementByItsHandler', actions: KEY_MANAGEMENT_ACTIONS },
      extraUses: this.aliasManagement(),
      users: this.users,
      services: this.services,
      extraStatements: this.extraStatements,
      createGrantGuard: this.props.createGrantGuard ?? true,
    };
  }

  /** STRICT: aliases are CloudFormation resources, so their deployer needs the alias actions. */
  private aliasManagement(): PolicyAccess[] {
    if (this.posture !== KeyPolicyPosture.STRICT || this.aliasNames.length === 0) return [];
    const deployer = this.props.policyManager;
    if (!deployer) return [];
    return [{ sid: 'AliasManagementForCloudFormation', principals: [deployer], actions: ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:DescribeKey', 'kms:UpdateAlias'] }];
  }

  private policyProblems(): string[] {
    const problems: string[] = [];
    if (this.posture === KeyPolicyPosture.STRICT && this.aliasNames.length > 0 && !this.props.policyManager) {
      problems.push('a STRICT key with aliases needs policyManager: the principal that deploys the stack (CloudFormation creates the aliases), ' +
        'e.g. iam.Role.fromRoleArn(this, "Deployer", "arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1")');
    }
    const document = this.policyDocument();
    return [...problems, ...keyPolicyProblems(this, this.roles(), {
      grantees: this._grantees,
      allowAdministratorAsUser: this.props.allowAdministratorAsUser ?? false,
      statements: this.policyStatements(),
      document,
    })];
  }
}

/** What a key in a custom key store is, for the policy parts. */
const FACTS: KeyFacts = { keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, multiRegion: false, importedMaterial: false };

/** What KMS does not allow for a key in a custom key store. */
function unsupportedProblems(props: CustomStoreKeyProps): string[] {
  const problems: string[] = [];
  const store = props.keyStore;
  if (props.rotation?.enabled === true || props.rotation?.period !== undefined) {
    problems.push('a key in a custom key store cannot rotate automatically: remove the rotation settings (rotate by creating a new key, or rotate the external key in the HSM)');
  }
  if (props.multiRegion) problems.push('a key in a custom key store cannot be multi-Region: remove multiRegion, or use a ManagedKey');
  if (props.keySpec !== undefined && props.keySpec !== kms.KeySpec.SYMMETRIC_DEFAULT) {
    problems.push(`a key in a custom key store must be SYMMETRIC_DEFAULT, not ${props.keySpec} (asymmetric and HMAC keys cannot live in custom key stores): remove keySpec, or use a ManagedKey`);
  }
  if (props.keyUsage !== undefined && props.keyUsage !== kms.KeyUsage.ENCRYPT_DECRYPT) {
    problems.push(`a key in a custom key store must have key usage ENCRYPT_DECRYPT, not ${props.keyUsage}: remove keyUsage`);
  }
  if (props.origin === KeyOrigin.EXTERNAL) {
    problems.push('a key in a custom key store cannot take imported key material (origin EXTERNAL): remove origin; the store provides the key material');
  }
  if (store.keyStoreType === CustomKeyStoreType.EXTERNAL_KEY_STORE) {
    if (props.xksKeyId === undefined) problems.push('a key in an external key store needs xksKeyId: the label of its AES-256 key on the HSM (make one with `xks-proxy keys create`)');
    else problems.push(...xksKeyIdProblems(props.xksKeyId));
  } else if (props.xksKeyId !== undefined) {
    problems.push('xksKeyId is only for keys in an external key store: remove it (a CloudHSM key store generates the key material)');
  }
  if (props.policyManager !== undefined && props.posture !== KeyPolicyPosture.STRICT) {
    problems.push('policyManager applies only to the STRICT posture: remove it or set posture: KeyPolicyPosture.STRICT');
  }
  return problems;
}

