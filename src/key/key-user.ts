import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { KeyCapability } from './capability';
import {
  callerAccount, ConditionBlock, encryptionContextEquals, encryptionContextKeysOnly,
  encryptionContextKeysRequired, grantIsForAwsResource, mergeConditions, principalOrgId, viaServices,
} from './conditions';
import { callerOptionProblems, malformedPrincipalProblems, wildcardUserProblems } from './principal-checks';
import { confusedDeputyCondition, mixedServiceProblems } from './service-principals';

/** Conditions that narrow what a key user may do. */
export interface KeyUserOptions {
  /**
   * Encryption-context pairs every request must carry, exactly (`kms:EncryptionContext:<key>`).
   * @default - no encryption-context pairs are required
   */
  readonly encryptionContext?: { [key: string]: string };

  /**
   * Encryption-context keys every request must carry, with any value.
   * @default - no keys are required
   */
  readonly requiredEncryptionContextKeys?: string[];

  /**
   * The only encryption-context keys a request may carry (`kms:EncryptionContextKeys`); a request
   * without any context is denied too.
   * @default - any keys
   */
  readonly allowedEncryptionContextKeys?: string[];

  /**
   * Only callers from this AWS account (`kms:CallerAccount`).
   * @default - no account condition
   */
  readonly callerAccount?: string;

  /**
   * Only principals of this AWS Organization (`aws:PrincipalOrgID`). Required, like
   * `callerAccount`, when the principal is a wildcard.
   * @default - no organization condition
   */
  readonly principalOrgId?: string;
}

/** Options of a key user that may use the key only through AWS services. */
export interface ViaServiceOptions extends KeyUserOptions {
  /**
   * What the principal may do through the service.
   * @default KeyCapability.ENCRYPT_DECRYPT
   */
  readonly capability?: KeyCapability;

  /**
   * More services (endpoint prefixes such as `s3`, `dynamodb`, `secretsmanager`) the principal
   * may use the key through.
   * @default - only the first service
   */
  readonly additionalServices?: string[];

  /**
   * Regions of the service endpoints.
   * @default - the Region of the key's stack
   */
  readonly regions?: string[];
}

/**
 * A principal that may use a key, what it may do (a capability) and under which conditions.
 * Create one with the static factories and pass it in `ManagedKeyProps.users` or `addUser`.
 */
export class KeyUser {
  /** Any capability, for the cases the named factories do not cover. */
  public static of(principal: iam.IPrincipal, capability: KeyCapability, options: KeyUserOptions = {}): KeyUser {
    return new KeyUser(principal, capability, options, []);
  }

  /** Encrypt and generate data keys. */
  public static encrypt(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.ENCRYPT, options);
  }

  /** Decrypt. */
  public static decrypt(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.DECRYPT, options);
  }

  /** Encrypt, generate data keys and decrypt. */
  public static encryptDecrypt(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.ENCRYPT_DECRYPT, options);
  }

  /** Sign (SIGN_VERIFY keys). */
  public static sign(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.SIGN, options);
  }

  /** Verify signatures (SIGN_VERIFY keys). */
  public static verify(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.VERIFY, options);
  }

  /** Sign and verify (SIGN_VERIFY keys). */
  public static signVerify(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.SIGN_VERIFY, options);
  }

  /** Generate MACs (HMAC keys). */
  public static generateMac(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.GENERATE_MAC, options);
  }

  /** Verify MACs (HMAC keys). */
  public static verifyMac(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.VERIFY_MAC, options);
  }

  /** Generate and verify MACs (HMAC keys). */
  public static generateVerifyMac(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.GENERATE_VERIFY_MAC, options);
  }

  /** Derive shared secrets (KEY_AGREEMENT keys). */
  public static deriveSharedSecret(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.DERIVE_SHARED_SECRET, options);
  }

  /**
   * Create, list and revoke grants for AWS resources only (`kms:GrantIsForAWSResource`), as
   * services such as EBS, RDS and Redshift need from the principal that attaches the key.
   */
  public static grantForAwsResources(principal: iam.IPrincipal, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(principal, KeyCapability.GRANT_FOR_AWS_RESOURCES, options);
  }

  /**
   * Use the key only through an AWS service (`kms:ViaService`), e.g. `'dynamodb'`, `'s3'`: the
   * endpoint is `<service>.<region>.<url suffix>` of the key's stack, so it is right in every
   * partition.
   */
  public static viaService(principal: iam.IPrincipal, service: string, options: ViaServiceOptions = {}): KeyUser {
    const services = [service, ...(options.additionalServices ?? [])];
    return new KeyUser(principal, options.capability ?? KeyCapability.ENCRYPT_DECRYPT, options, services, options.regions);
  }

  /**
   * Another AWS account (its root principal), whose administrators then delegate use with IAM
   * policies in that account.
   */
  public static crossAccount(accountId: string, capability: KeyCapability, options?: KeyUserOptions): KeyUser {
    return KeyUser.of(new iam.AccountPrincipal(accountId), capability, options);
  }

  private constructor(
    /** The principal that may use the key. */
    public readonly principal: iam.IPrincipal,
    /** What the principal may do. */
    public readonly capability: KeyCapability,
    private readonly options: KeyUserOptions,
    private readonly services: string[],
    private readonly serviceRegions?: string[],
  ) {}

  /**
   * Problems with this user's principal and options, as sentences (empty when valid).
   * @internal
   */
  public _problems(scope: IConstruct): string[] {
    const problems: string[] = [];
    for (const [key, value] of Object.entries(this.options.encryptionContext ?? {})) {
      if (key.trim() === '') problems.push('an encryption-context key is empty: give every pair a non-empty key');
      if (!Token.isUnresolved(value) && String(value).trim() === '') {
        problems.push(`the encryption-context value of '${key}' is empty: give it a value, or use requiredEncryptionContextKeys to require the key with any value`);
      }
    }
    const keyLists = [...(this.options.requiredEncryptionContextKeys ?? []), ...(this.options.allowedEncryptionContextKeys ?? [])];
    if (keyLists.some((key) => key.trim() === '')) {
      problems.push('an encryption-context key in requiredEncryptionContextKeys/allowedEncryptionContextKeys is empty');
    }
    const allowed = this.options.allowedEncryptionContextKeys;
    if (allowed) {
      const outside = [...Object.keys(this.options.encryptionContext ?? {}), ...(this.options.requiredEncryptionContextKeys ?? [])]
        .filter((key) => !allowed.includes(key));
      if (outside.length > 0) {
        problems.push(`encryption-context keys ${outside.join(', ')} are required but not in allowedEncryptionContextKeys: add them there`);
      }
    }
    if (this.services.some((s) => !/^[a-z0-9-]+$/.test(s))) {
      problems.push(`viaService takes service endpoint prefixes such as 'dynamodb' or 's3', got ${this.services.join(', ')}`);
    }
    problems.push(
      ...callerOptionProblems(this.options.callerAccount, this.options.principalOrgId),
      ...malformedPrincipalProblems('user', this.principal, scope),
      ...mixedServiceProblems('user', this.principal, scope),
    );
    // Only judge the conditions once they can be built (a bad option above would throw there).
    if (problems.length === 0) problems.push(...wildcardUserProblems(this.principal, this._conditions(scope), scope));
    return problems;
  }

  /**
   * The conditions of this user's statement.
   * @internal
   */
  public _conditions(scope: IConstruct): ConditionBlock {
    const stack = Stack.of(scope);
    const regions = this.serviceRegions ?? [stack.region];
    const endpoints = this.services.flatMap((service) => regions.map((region) => `${service}.${region}.${stack.urlSuffix}`));
    const own = mergeConditions(
      encryptionContextEquals(this.options.encryptionContext ?? {}),
      encryptionContextKeysRequired(this.options.requiredEncryptionContextKeys ?? []),
      encryptionContextKeysOnly(this.options.allowedEncryptionContextKeys ?? []),
      viaServices(endpoints),
      this.options.callerAccount ? callerAccount(this.options.callerAccount) : {},
      this.options.principalOrgId ? principalOrgId(this.options.principalOrgId) : {},
      this.capability === KeyCapability.GRANT_FOR_AWS_RESOURCES ? grantIsForAwsResource() : {},
    );
    // A service principal as a user gets KeyService's confused-deputy condition.
    return mergeConditions(own, confusedDeputyCondition(this.principal, own, scope));
  }
}
