/**
 * The typed errors of the key-store handlers: every failure the deploy shows says what went wrong,
 * how to fix it and whether retrying the deploy can help. Secret values never reach a message.
 */

export class KeyStoreError extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyStoreError';
  }
}

/** The fix for KMS exceptions of the custom-key-store and key calls (SDK error `name`). */
const KMS_FIXES: ReadonlyMap<string, string> = new Map([
  ['CustomKeyStoreNameInUseException', 'another custom key store in this account and Region has this name: choose another keyStoreName'],
  ['CustomKeyStoreHasCMKsException', 'the store still holds KMS keys (keys pending deletion count too): schedule their deletion and wait it out, or keep the store (RemovalPolicy.RETAIN)'],
  ['CustomKeyStoreInvalidStateException', 'the store is not in a state that allows this call (e.g. still connecting): wait until it is CONNECTED or DISCONNECTED and deploy again'],
  ['CustomKeyStoreNotFoundException', 'the custom key store does not exist in this account and Region: check its id'],
  ['CloudHsmClusterNotFoundException', 'no CloudHSM cluster has this id in this account and Region: check clusterId'],
  ['CloudHsmClusterInUseException', 'the cluster is already used by another custom key store: use another cluster'],
  ['CloudHsmClusterNotActiveException', 'the CloudHSM cluster is not initialized and active: initialize and activate it first'],
  ['CloudHsmClusterInvalidConfigurationException', 'the CloudHSM cluster needs private subnets in two Availability Zones and a security group that allows its HSMs: fix the cluster'],
  ['CloudHsmClusterNotRelatedException', 'a store can move only to a cluster that shares its backup history (made from a backup of the original): use a related cluster or a new store'],
  ['IncorrectTrustAnchorException', 'the trust anchor certificate is not the one that initialized this cluster: pass the contents of its customerCA.crt'],
  ['XksProxyIncorrectAuthenticationCredentialException', 'the XKS proxy rejected the SigV4 credential: put the credential configured on the proxy in the credential secret'],
  ['XksProxyInvalidConfigurationException', 'the XKS proxy is not configured for this URI path: check uriPath (the proxy prefix followed by /kms/xks/v1)'],
  ['XksProxyInvalidResponseException', 'the endpoint did not answer as an XKS proxy: check uriEndpoint and uriPath'],
  ['XksProxyUriEndpointInUseException', 'another external key store uses this proxy endpoint: one endpoint serves one store per account and Region unless the URI paths differ'],
  ['XksProxyUriInUseException', 'another external key store uses this endpoint and URI path: give this store its own uriPath prefix on the proxy'],
  ['XksProxyUriUnreachableException', 'AWS KMS could not reach the XKS proxy, or every HSM behind it reported unavailable: check that the proxy runs and is healthy'],
  ['XksProxyVpcEndpointServiceInUseException', 'another external key store uses this VPC endpoint service: each store needs its own'],
  ['XksProxyVpcEndpointServiceInvalidConfigurationException', 'the VPC endpoint service must not require acceptance, must allow cks.kms.<region>.amazonaws.com, have a verified private DNS name and two Availability Zones'],
  ['XksProxyVpcEndpointServiceNotFoundException', 'no VPC endpoint service has this name, or AWS KMS is not allowed to use it: check the service name and its allowed principals'],
  ['XksKeyAlreadyInUseException', 'another KMS key in this store already uses this XKS key id: one external key backs one KMS key'],
  ['XksKeyNotFoundException', 'the XKS proxy has no key with this XKS key id: create it on the HSM (xks-proxy keys create) and list it in the proxy configuration'],
  ['XksKeyInvalidConfigurationException', 'the external key is not an enabled AES-256 key that can encrypt and decrypt: check it with xks-proxy keys check'],
  ['MalformedPolicyDocumentException', 'KMS rejected the key policy (a principal that does not exist yet, or a policy that would lock out the creator)'],
  ['LimitExceededException', 'a KMS quota was reached (custom key stores per account, keys, or aliases): raise the quota or remove unused resources'],
  ['AccessDeniedException', "the handler role is not allowed to make this call: check the key policy's statements for the handler role and any SCP"],
  ['KMSInvalidStateException', 'the key is not in a state that allows this call (disabled, pending deletion, or its store is disconnected)'],
]);

const RETRYABLE = new Set(['ThrottlingException', 'KMSInternalException', 'DependencyTimeoutException', 'CustomKeyStoreInvalidStateException',
  'XksProxyUriUnreachableException', 'TimeoutError', 'ECONNRESET']);

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** A KMS SDK error as a KeyStoreError: what call failed, why, and the fix. */
export function kmsError(call: string, error: unknown): KeyStoreError {
  if (error instanceof KeyStoreError) return error;
  const name = nameOf(error);
  const fix = KMS_FIXES.get(name);
  // KMS messages name resources, never secret values; keep them for the operator.
  const detail = error instanceof Error && error.message ? ` (${error.message})` : '';
  const message = fix ? `${call} failed with ${name}: ${fix}${detail}` : `${call} failed with ${name}${detail}`;
  return new KeyStoreError(message, RETRYABLE.has(name) || !fix, { cause: error });
}

/** Runs one KMS call and translates its failure. */
export async function kmsCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw kmsError(call, error);
  }
}

/** True when the SDK error has this exception name. */
export function isKmsError(error: unknown, ...names: string[]): boolean {
  const cause = error instanceof KeyStoreError ? error.cause : error;
  return names.includes(nameOf(cause));
}
