import { CustomResource, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createStoreResource, ICustomKeyStore, CustomKeyStoreOptions, CustomKeyStoreType, storeName } from './store-base';
import { clusterIdProblems, trustAnchorProblems } from './validation';
import { assertNoProblems } from '../errors';

/** Properties of a CloudHsmKeyStore. */
export interface CloudHsmKeyStoreProps extends CustomKeyStoreOptions {
  /** The id of an initialized, active CloudHSM cluster (`cluster-...`) with HSMs in two Availability Zones. */
  readonly clusterId: string;

  /** The trust anchor: the contents of the `customerCA.crt` that initialized the cluster (PEM). */
  readonly trustAnchorCertificate: string;

  /**
   * The password of the `kmsuser` crypto user in the cluster, as the secret's whole value. Only the
   * store's handler reads it, at deploy time.
   */
  readonly kmsUserPasswordSecret: secretsmanager.ISecret;
}

/**
 * An AWS KMS CloudHSM key store, created, connected and kept CONNECTED by a custom resource; a
 * FAILED connection fails the deploy with the ConnectionErrorCode, its cause and the fix. Create
 * keys in it with `CustomStoreKey`.
 */
export class CloudHsmKeyStore extends Resource implements ICustomKeyStore {
  public readonly keyStoreId: string;
  public readonly keyStoreType = CustomKeyStoreType.AWS_CLOUDHSM;
  public readonly handlerRole: iam.IRole;
  public readonly serviceToken: string;
  /** The store's name. */
  public readonly keyStoreName: string;
  /** The custom resource of the store. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: CloudHsmKeyStoreProps) {
    super(scope, id);
    assertNoProblems(this, [
      ...clusterIdProblems(props.clusterId),
      ...trustAnchorProblems(props.trustAnchorCertificate),
      ...(props.kmsUserPasswordSecret ? [] : ['kmsUserPasswordSecret is missing: pass the secret that holds the kmsuser password']),
    ]);
    this.keyStoreName = storeName(this, props.keyStoreName);
    const { handler, resource } = createStoreResource(this, CustomKeyStoreType.AWS_CLOUDHSM, props, [props.kmsUserPasswordSecret], {
      CustomKeyStoreName: this.keyStoreName,
      CloudHsmClusterId: props.clusterId,
      TrustAnchorCertificate: props.trustAnchorCertificate,
      KeyStorePasswordSecretArn: props.kmsUserPasswordSecret.secretArn,
    });
    // KMS reads the cluster with the caller's permissions, and creates its service-linked role once.
    handler.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCluster', actions: ['cloudhsm:DescribeClusters'], resources: ['*'] }));
    handler.role.addToPolicy(new iam.PolicyStatement({
      sid: 'CreateKmsServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [`arn:${this.stack.partition}:iam::${this.stack.account}:role/aws-service-role/cks.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceCustomKeyStores`],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'cks.kms.amazonaws.com' } },
    }));
    this.resource = resource;
    this.handlerRole = handler.role;
    this.serviceToken = handler.provider.serviceToken;
    this.keyStoreId = resource.getAttString('CustomKeyStoreId');
  }
}
