/**
 * The action catalogue: every action a key-policy role may receive, spelled out action by action.
 * No `kms:*` or `Describe*`-style wildcards appear anywhere except the account-root statement of the
 * IAM_DELEGATED posture. Everything in the library that writes key-policy statements takes its
 * actions from here.
 */
export class KeyActions {
  /** Read-only metadata every key user needs. */
  public static readonly DESCRIBE: string[] = ['kms:DescribeKey'];

  /** Key lifecycle for administrators: never cryptographic use, never `kms:CreateGrant`. */
  public static readonly ADMINISTER: string[] = [
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:ListKeyRotations',
    'kms:ListResourceTags',
    'kms:ListGrants',
    'kms:RevokeGrant',
    'kms:EnableKey',
    'kms:DisableKey',
    'kms:EnableKeyRotation',
    'kms:DisableKeyRotation',
    'kms:RotateKeyOnDemand',
    'kms:TagResource',
    'kms:UntagResource',
    'kms:UpdateKeyDescription',
    'kms:CreateAlias',
    'kms:UpdateAlias',
    'kms:DeleteAlias',
    'kms:ScheduleKeyDeletion',
    'kms:CancelKeyDeletion',
  ];

  /** Changing the key policy: administrators hold it only in the IAM_DELEGATED posture. */
  public static readonly CHANGE_POLICY: string[] = ['kms:PutKeyPolicy'];

  /**
   * What CloudFormation needs to create, update and delete a key and its aliases: the policy
   * manager of the STRICT posture holds exactly these (KMS's lockout check needs PutKeyPolicy).
   */
  public static readonly CLOUDFORMATION_MANAGEMENT: string[] = [
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:PutKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:EnableKeyRotation',
    'kms:DisableKeyRotation',
    'kms:EnableKey',
    'kms:DisableKey',
    'kms:UpdateKeyDescription',
    'kms:TagResource',
    'kms:UntagResource',
    'kms:ListResourceTags',
    'kms:CreateAlias',
    'kms:UpdateAlias',
    'kms:DeleteAlias',
    'kms:ScheduleKeyDeletion',
  ];

  /** Extra administration of multi-Region primary keys. */
  public static readonly ADMINISTER_MULTI_REGION: string[] = ['kms:ReplicateKey', 'kms:UpdatePrimaryRegion'];

  /** Extra administration of keys with imported key material (origin EXTERNAL). */
  public static readonly ADMINISTER_IMPORTED_MATERIAL: string[] = [
    'kms:GetParametersForImport',
    'kms:ImportKeyMaterial',
    'kms:DeleteImportedKeyMaterial',
  ];

  /** Encrypt with a symmetric key, including data keys for envelope encryption. */
  public static readonly ENCRYPT_SYMMETRIC: string[] = [
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncryptTo',
  ];

  /** Decrypt with a symmetric key. */
  public static readonly DECRYPT_SYMMETRIC: string[] = ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncryptFrom'];

  /** Encrypt with an asymmetric (RSA or SM2) key. */
  public static readonly ENCRYPT_ASYMMETRIC: string[] = ['kms:DescribeKey', 'kms:Encrypt', 'kms:GetPublicKey', 'kms:ReEncryptTo'];

  /** Decrypt with an asymmetric (RSA or SM2) key. */
  public static readonly DECRYPT_ASYMMETRIC: string[] = ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncryptFrom'];

  /** Sign with an asymmetric signing key. */
  public static readonly SIGN: string[] = ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'];

  /** Verify with an asymmetric signing key. */
  public static readonly VERIFY: string[] = ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify'];

  /** Generate MACs with an HMAC key. */
  public static readonly GENERATE_MAC: string[] = ['kms:DescribeKey', 'kms:GenerateMac'];

  /** Verify MACs with an HMAC key. */
  public static readonly VERIFY_MAC: string[] = ['kms:DescribeKey', 'kms:VerifyMac'];

  /** Derive shared secrets with a key-agreement key. */
  public static readonly DERIVE_SHARED_SECRET: string[] = ['kms:DescribeKey', 'kms:DeriveSharedSecret', 'kms:GetPublicKey'];

  /** Generate data keys only, as services that write encrypted logs (CloudTrail) need. */
  public static readonly GENERATE_DATA_KEY: string[] = ['kms:DescribeKey', 'kms:GenerateDataKey'];

  /** Manage grants on behalf of AWS services (only with `kms:GrantIsForAWSResource`). */
  public static readonly GRANTS_FOR_AWS_RESOURCES: string[] = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'];

  /** Actions that give power over the key itself rather than use of it (separation of duties). */
  public static readonly POWER: string[] = [
    'kms:PutKeyPolicy',
    'kms:CreateGrant',
    'kms:ScheduleKeyDeletion',
    'kms:DisableKey',
    'kms:DisableKeyRotation',
    'kms:DeleteImportedKeyMaterial',
    'kms:UpdatePrimaryRegion',
  ];

  /** Cryptographic use of a key, whatever its spec. */
  public static readonly CRYPTOGRAPHIC_USE: string[] = [
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:GenerateDataKeyPair',
    'kms:GenerateDataKeyPairWithoutPlaintext',
    'kms:Sign',
    'kms:Verify',
    'kms:GenerateMac',
    'kms:VerifyMac',
    'kms:DeriveSharedSecret',
  ];

  private constructor() {}
}
