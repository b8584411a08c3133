import { CustomResource, Resource, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createStoreResource, ICustomKeyStore, CustomKeyStoreOptions, CustomKeyStoreType, storeName } from './store-base';
import { uriEndpointProblems, uriPathProblems } from './validation';
import { assertNoProblems } from '../errors';
import { XksProxyConnection } from '../xks/xks-proxy';

/** How AWS KMS reaches the XKS proxy. */
export enum XksProxyConnectivity {
  /** Through an Amazon VPC endpoint service (PrivateLink); what XksProxy provides. */
  VPC_ENDPOINT_SERVICE = 'VPC_ENDPOINT_SERVICE',
  /** Over the internet, to a public endpoint. */
  PUBLIC_ENDPOINT = 'PUBLIC_ENDPOINT',
}

/** Properties of an ExternalKeyStore. */
export interface ExternalKeyStoreProps extends CustomKeyStoreOptions {
  /**
   * The proxy to connect to: an `XksProxy`'s `connection`. Give this, or `uriEndpoint`,
   * `credentialSecret` and the rest by hand, not both.
   * @default - the proxy is described by the other properties
   */
  readonly proxyConnection?: XksProxyConnection;

  /**
   * How AWS KMS reaches the proxy.
   * @default XksProxyConnectivity.VPC_ENDPOINT_SERVICE
   */
  readonly connectivity?: XksProxyConnectivity;

  /**
   * `https://` and the proxy's host name, no port or path.
   * @default - from proxyConnection
   */
  readonly uriEndpoint?: string;

  /**
   * The proxy's URI path: an optional prefix and `/kms/xks/v1`.
   * @default - from proxyConnection, else "/kms/xks/v1"
   */
  readonly uriPath?: string;

  /**
   * The VPC endpoint service name (VPC_ENDPOINT_SERVICE connectivity).
   * @default - from proxyConnection
   */
  readonly vpcEndpointServiceName?: string;

  /**
   * The account that owns the VPC endpoint service, when it is shared from another account.
   * @default - this account
   */
  readonly vpcEndpointServiceOwner?: string;

  /**
   * The SigV4 credential AWS KMS signs proxy requests with: a secret whose JSON has `accessKeyId`
   * and `secretAccessKey`. Only the store's handler reads it, at deploy time.
   * @default - from proxyConnection
   */
  readonly credentialSecret?: secretsmanager.ISecret;
}

/**
 * An AWS KMS external key store (XKS), created, connected and kept CONNECTED by a custom resource:
 * a deploy waits until the store is CONNECTED, and a FAILED connection fails the deploy at once with
 * the ConnectionErrorCode, its cause and the fix. Create keys in it with `CustomStoreKey`.
 */
export class ExternalKeyStore extends Resource implements ICustomKeyStore {
  public readonly keyStoreId: string;
  public readonly keyStoreType = CustomKeyStoreType.EXTERNAL_KEY_STORE;
  public readonly handlerRole: iam.IRole;
  public readonly serviceToken: string;
  /** The store's name. */
  public readonly keyStoreName: string;
  /** The custom resource of the store. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ExternalKeyStoreProps) {
    super(scope, id);
    const settings = resolveConnection(this, props);
    this.keyStoreName = storeName(this, props.keyStoreName);
    const { handler, resource } = createStoreResource(this, CustomKeyStoreType.EXTERNAL_KEY_STORE, props, [settings.credentialSecret], {
      CustomKeyStoreName: this.keyStoreName,
      XksProxyConnectivity: settings.connectivity,
      XksProxyUriEndpoint: settings.uriEndpoint,
      XksProxyUriPath: settings.uriPath,
      XksProxyVpcEndpointServiceName: settings.vpcEndpointServiceName,
      XksProxyVpcEndpointServiceOwner: props.vpcEndpointServiceOwner,
      CredentialSecretArn: settings.credentialSecret.secretArn,
    });
    if (settings.connectivity === XksProxyConnectivity.VPC_ENDPOINT_SERVICE) {
      // KMS checks the endpoint service with the caller's permissions; the call reads no resource.
      handler.role.addToPolicy(new iam.PolicyStatement({ sid: 'CheckEndpointService', actions: ['ec2:DescribeVpcEndpointServices'], resources: ['*'] }));
    }
    this.resource = resource;
    this.handlerRole = handler.role;
    this.serviceToken = handler.provider.serviceToken;
    this.keyStoreId = resource.getAttString('CustomKeyStoreId');
  }
}

interface ConnectionSettings {
  readonly connectivity: XksProxyConnectivity;
  readonly uriEndpoint: string;
  readonly uriPath: string;
  readonly vpcEndpointServiceName?: string;
  readonly credentialSecret: secretsmanager.ISecret;
}

function resolveConnection(scope: Construct, props: ExternalKeyStoreProps): ConnectionSettings {
  const connection = props.proxyConnection;
  const byHand = [props.uriEndpoint && 'uriEndpoint', props.uriPath && 'uriPath', props.vpcEndpointServiceName && 'vpcEndpointServiceName',
    props.credentialSecret && 'credentialSecret'].filter((name): name is string => Boolean(name));
  if (connection && byHand.length > 0) {
    assertNoProblems(scope, [`proxyConnection and ${byHand.join(', ')} are both given: pass an XksProxy's connection, or describe the proxy by hand, not both`]);
  }
  const connectivity = props.connectivity ?? XksProxyConnectivity.VPC_ENDPOINT_SERVICE;
  const settings = {
    connectivity,
    uriEndpoint: connection?.uriEndpoint ?? props.uriEndpoint,
    uriPath: connection?.uriPath ?? props.uriPath ?? '/kms/xks/v1',
    vpcEndpointServiceName: connection?.vpcEndpointServiceName ?? props.vpcEndpointServiceName,
    credentialSecret: connection?.credentialSecret ?? props.credentialSecret,
  };
  const problems: string[] = [];
  if (settings.uriEndpoint === undefined) problems.push('uriEndpoint is missing: pass proxyConnection (an XksProxy\'s connection) or uriEndpoint, e.g. https://xks.example.com');
  else problems.push(...uriEndpointProblems(settings.uriEndpoint));
  problems.push(...uriPathProblems(settings.uriPath));
  if (!settings.credentialSecret) problems.push('credentialSecret is missing: pass a secret with the JSON fields accessKeyId and secretAccessKey (or proxyConnection)');
  if (connectivity === XksProxyConnectivity.VPC_ENDPOINT_SERVICE && !settings.vpcEndpointServiceName) {
    problems.push('VPC_ENDPOINT_SERVICE connectivity needs vpcEndpointServiceName (com.amazonaws.vpce.<region>.vpce-svc-...): pass it, pass proxyConnection, or use PUBLIC_ENDPOINT');
  }
  if (connectivity === XksProxyConnectivity.PUBLIC_ENDPOINT && (settings.vpcEndpointServiceName || props.vpcEndpointServiceOwner)) {
    problems.push('PUBLIC_ENDPOINT connectivity takes no VPC endpoint service: remove vpcEndpointServiceName/vpcEndpointServiceOwner, or use VPC_ENDPOINT_SERVICE');
  }
  if (props.vpcEndpointServiceOwner !== undefined && !Token.isUnresolved(props.vpcEndpointServiceOwner) && !/^\d{12}$/.test(props.vpcEndpointServiceOwner)) {
    problems.push(`vpcEndpointServiceOwner '${props.vpcEndpointServiceOwner}' must be a 12-digit account id`);
  }
  assertNoProblems(scope, problems);
  return settings as ConnectionSettings;
}
