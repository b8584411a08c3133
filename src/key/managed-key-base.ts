import { Resource, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { aws_kms as kmsRefs } from 'aws-cdk-lib/interfaces';
import { KeyFacts as ActionFacts } from './action-catalogue';
import { actionsOfCapability, KeyCapability } from './capability';
import { grantActions } from './grant-actions';
import { KeyPolicyPosture } from './policy-model';
import { pinnedGrantee } from './service-principals';
import { capabilityProblems } from './validation';
import { assertNoProblems } from '../errors';

/**
 * What every key of this library shares (ManagedKey, ReplicaKey, CustomStoreKey): the grant
 * methods of `kms.IKey`, so aws-cdk-lib's grants and L2s work the same on each. A grant goes through
 * the action catalogue (wildcards expanded for the key, non-key actions refused) and service
 * principals are pinned to the key's account. IAM_DELEGATED: the principal's IAM policy (the key
 * policy too for another account). STRICT: the key policy, the only source of access (and the
 * principal's IAM policy too for another account, whose IAM must also allow it).
 */
export abstract class ManagedKeyBase extends Resource implements kms.IKey {
  /** The ARN of the key. */
  public abstract readonly keyArn: string;
  /** The id of the key. */
  public abstract readonly keyId: string;
  /** The policy posture. */
  public abstract readonly posture: KeyPolicyPosture;

  /**
   * Principals given use through `grant*`: they count as users for separation of duties.
   * @internal
   */
  protected readonly _grantees: iam.IPrincipal[] = [];

  /** A reference to this key for L1 constructs. */
  public get keyRef(): kmsRefs.KeyReference {
    return { keyArn: this.keyArn, keyId: this.keyId };
  }

  /** Adds an alias (`orders` becomes `alias/orders`). */
  public abstract addAlias(alias: string): kms.Alias;

  /** Adds a statement to the key policy (an escape hatch; prefer users and grants). */
  public abstract addToResourcePolicy(statement: iam.PolicyStatement, allowNoOp?: boolean): iam.AddToResourcePolicyResult;

  /**
   * Grants actions on the key. Wildcards such as aws-cdk-lib's `kms:ReEncrypt*` are expanded to the
   * explicit actions they cover for this key; a name that is not a KMS key action is an error. In
   * IAM_DELEGATED the grant goes to the principal's IAM policy (and the key policy for other
   * accounts); in STRICT it goes to the key policy, the only source of access, and may give only
   * use, read-only metadata and grants for AWS resources.
   */
  public grant(granteeAsGiven: iam.IGrantable, ...actions: string[]): iam.Grant {
    const strict = this.posture === KeyPolicyPosture.STRICT;
    // A service principal gets KeyService's confused-deputy condition (service-principals.ts).
    const grantee = pinnedGrantee(granteeAsGiven, this, strict);
    const explicit = grantActions(this, actions, this._actionFacts(), strict);
    this._grantees.push(grantee.grantPrincipal);
    const options = { grantee, actions: explicit, resourceArns: [this.keyArn], resource: this, resourceSelfArns: ['*'] };
    if (!strict) return iam.Grant.addToPrincipalOrResource(options);
    // The other account's IAM must allow it too.
    if (this.isOtherAccount(grantee.grantPrincipal)) return iam.Grant.addToPrincipalAndResource(options);
    // In the key's own account the key policy alone grants access; leaving the principal's IAM
    // policy alone also avoids a dependency cycle when the principal lives in another stack.
    const statement = new iam.PolicyStatement({ actions: explicit, resources: ['*'], principals: [grantee.grantPrincipal] });
    return this._keyPolicyGrant(options, statement);
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

  /**
   * What the key is (spec, usage, multi-Region, imported material): decides which actions apply.
   * @internal
   */
  protected abstract _actionFacts(): ActionFacts;

  /**
   * The grant of a STRICT own-account principal, whose statement goes to the key policy.
   * @internal
   */
  protected _keyPolicyGrant(options: iam.GrantWithResourceOptions, statement: iam.PolicyStatement): iam.Grant {
    return iam.Grant.addStatementToResourcePolicy({ ...options, statement });
  }

  private grantCapability(grantee: iam.IGrantable, capability: KeyCapability): iam.Grant {
    const { keySpec, keyUsage } = this._actionFacts();
    assertNoProblems(this, capabilityProblems(capability, keySpec, keyUsage));
    return this.grant(grantee, ...actionsOfCapability(capability, keySpec));
  }

  /** A principal of a known account other than the key's (unknown accounts count as the key's). */
  private isOtherAccount(principal: iam.IPrincipal): boolean {
    const account = principal.principalAccount;
    return account !== undefined && !Token.isUnresolved(account) && !Token.isUnresolved(this.stack.account) && account !== this.stack.account;
  }
}
