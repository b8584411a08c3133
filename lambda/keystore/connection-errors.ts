/**
 * Every `ConnectionErrorCode` KMS documents for a FAILED custom key store, with a plain cause and
 * the fix. The store handler fails the deploy with these sentences instead of a bare code.
 */

export type CustomKeyStoreKind = 'EXTERNAL_KEY_STORE' | 'AWS_CLOUDHSM';

export interface ConnectionErrorHelp {
  /** What went wrong, in one sentence. */
  readonly cause: string;
  /** What to do about it. */
  readonly fix: string;
}

const DISCONNECT_AND_RETRY = 'The store is left FAILED; deploy again after the fix (the handler disconnects, updates and reconnects it).';

/** Codes of both kinds of store. */
const COMMON: ReadonlyArray<[string, ConnectionErrorHelp]> = [
  ['INTERNAL_ERROR', {
    cause: 'AWS KMS could not complete the connection because of an internal error.',
    fix: 'Deploy again; the handler disconnects the store before it reconnects, as KMS requires.',
  }],
  ['NETWORK_ERRORS', {
    cause: 'Network errors kept AWS KMS from reaching the backing key store.',
    fix: 'Check the network path (security groups, network ACLs, route tables, VPC endpoint service) to the HSMs or the proxy, then deploy again.',
  }],
];

const XKS: ReadonlyArray<[string, ConnectionErrorHelp]> = [
  ['INVALID_CREDENTIALS', {
    cause: 'The XKS proxy rejected the SigV4 credential (access key id or secret access key) that AWS KMS signs with.',
    fix: 'Make the credential secret hold the accessKeyId and secretAccessKey configured on the proxy for this URI path, then deploy again.',
  }],
  ['XKS_PROXY_ACCESS_DENIED', {
    cause: "The XKS proxy's authorization rules denied the requests of AWS KMS.",
    fix: 'Allow the kms:* requests of this key store in the proxy configuration (authorization rules of the key store), then deploy again.',
  }],
  ['XKS_PROXY_INVALID_CONFIGURATION', {
    cause: 'The XKS proxy does not serve the XksProxyUriPath of the store (a wrong path or path prefix).',
    fix: 'Give the URI path the proxy serves: its uriPathPrefix followed by /kms/xks/v1 (with XksProxy, use its connection).',
  }],
  ['XKS_PROXY_INVALID_RESPONSE', {
    cause: 'AWS KMS could not interpret the answers of the XKS proxy.',
    fix: 'Check that the endpoint is an XKS proxy (XKS Proxy API v1) and not another web server; if it is, report it to the proxy vendor.',
  }],
  ['XKS_PROXY_INVALID_TLS_CONFIGURATION', {
    cause: "AWS KMS could not establish TLS with the XKS proxy: an old TLS version, an expired certificate, a certificate not issued for the endpoint's host name, or one not from a public certificate authority.",
    fix: "Serve TLS 1.2 or 1.3 with a current certificate from a public CA issued for the XksProxyUriEndpoint's host name (XksProxy: its tlsSecret).",
  }],
  ['XKS_PROXY_NOT_REACHABLE', {
    cause: 'AWS KMS could not reach the XKS proxy at XksProxyUriEndpoint.',
    fix: 'Check the endpoint and URI path, that the proxy is running and healthy (its health check), and the network path (VPC endpoint service, NLB, security groups).',
  }],
  ['XKS_PROXY_TIMED_OUT', {
    cause: 'The XKS proxy answered too slowly (AWS KMS allows 250 ms per request).',
    fix: 'Check the proxy and HSM latency (proxy logs, GetHealthStatus); add proxy tasks or HSM capacity, then deploy again.',
  }],
  ['XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION', {
    cause: 'The VPC endpoint service does not meet the requirements of an external key store (acceptance required, a private DNS name not verified, fewer than two Availability Zones, or a missing allowed principal).',
    fix: 'Turn off acceptance, verify the private DNS name, use two or more Availability Zones and allow cks.kms.<region>.amazonaws.com (XksProxy does all of this).',
  }],
  ['XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND', {
    cause: 'AWS KMS cannot find the VPC endpoint service, or is not an allowed principal of it.',
    fix: 'Check XksProxyVpcEndpointServiceName (and its owner for a shared service) and that cks.kms.<region>.amazonaws.com is an allowed principal.',
  }],
];

const CLOUDHSM: ReadonlyArray<[string, ConnectionErrorHelp]> = [
  ['CLUSTER_NOT_FOUND', {
    cause: 'AWS KMS cannot find the CloudHSM cluster of the store.',
    fix: 'Check the cluster id; if the cluster was deleted, create one from its backup and update the store to it.',
  }],
  ['INSUFFICIENT_CLOUDHSM_HSMS', {
    cause: 'The CloudHSM cluster has no active HSM.',
    fix: 'Add HSMs to the cluster (two or more in different Availability Zones are recommended), then deploy again.',
  }],
  ['INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET', {
    cause: 'A private subnet of the CloudHSM cluster has no free IP address for AWS KMS.',
    fix: 'Free at least one address (two are better) in every subnet of the cluster, then deploy again.',
  }],
  ['INVALID_CREDENTIALS', {
    cause: 'The kmsuser password in the secret does not match the kmsuser crypto user of the cluster.',
    fix: 'Change the kmsuser password in the cluster and put the same value in the password secret, then deploy again.',
  }],
  ['SUBNET_NOT_FOUND', {
    cause: 'A subnet in the CloudHSM cluster configuration was deleted.',
    fix: 'Create a cluster from a recent backup of this one (it gets new subnets) and update the store to it.',
  }],
  ['USER_LOCKED_OUT', {
    cause: 'The kmsuser crypto user is locked out after too many failed password attempts.',
    fix: 'Change the kmsuser password in the cluster and put the same value in the password secret, then deploy again.',
  }],
  ['USER_LOGGED_IN', {
    cause: 'The kmsuser crypto user is logged in to the cluster, so AWS KMS cannot rotate its password and log in.',
    fix: 'Log kmsuser out of every HSM client (cloudhsm_mgmt_util / CloudHSM CLI), then deploy again.',
  }],
  ['USER_NOT_FOUND', {
    cause: 'The cluster has no kmsuser crypto user.',
    fix: 'Create the kmsuser crypto user in the cluster with the password in the secret, then deploy again.',
  }],
];

const CATALOGUE: ReadonlyMap<CustomKeyStoreKind, ReadonlyMap<string, ConnectionErrorHelp>> = new Map([
  ['EXTERNAL_KEY_STORE', new Map([...COMMON, ...XKS])],
  ['AWS_CLOUDHSM', new Map([...COMMON, ...CLOUDHSM])],
]);

/** The documented codes of a kind of store. */
export function connectionErrorCodes(kind: CustomKeyStoreKind): string[] {
  return [...CATALOGUE.get(kind)!.keys()];
}

/** Help for a code, or undefined for a code KMS did not document when this was written. */
export function connectionErrorHelp(kind: CustomKeyStoreKind, code: string): ConnectionErrorHelp | undefined {
  return CATALOGUE.get(kind)!.get(code);
}

/** The sentence a failed deploy shows for a FAILED store. */
export function describeConnectionFailure(kind: CustomKeyStoreKind, storeId: string, code: string | undefined): string {
  const label = code ?? 'no ConnectionErrorCode';
  const help = code === undefined ? undefined : connectionErrorHelp(kind, code);
  const text = help
    ? `${help.cause} Fix: ${help.fix}`
    : 'KMS gave no documented reason. Fix: see "How to fix a connection failure" in the AWS KMS developer guide.';
  return `custom key store ${storeId} failed to connect (${label}): ${text} ${DISCONNECT_AND_RETRY}`;
}
