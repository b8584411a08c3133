/**
 * The resource properties of the two custom resources, read from a CloudFormation event (where
 * every scalar arrives as a string) with a clear error for anything the construct would not send.
 */
import { CustomKeyStoreKind } from './connection-errors';
import { KeyStoreError } from './errors';

export const STORE_RESOURCE_TYPE = 'Custom::KmsCustomKeyStore';
export const KEY_RESOURCE_TYPE = 'Custom::KmsCustomStoreKey';

export interface XksStoreProperties {
  readonly kind: 'EXTERNAL_KEY_STORE';
  readonly name: string;
  readonly connectivity: 'VPC_ENDPOINT_SERVICE' | 'PUBLIC_ENDPOINT';
  readonly uriEndpoint: string;
  readonly uriPath: string;
  readonly vpcEndpointServiceName?: string;
  readonly vpcEndpointServiceOwner?: string;
  readonly credentialSecretArn: string;
}

export interface CloudHsmStoreProperties {
  readonly kind: 'AWS_CLOUDHSM';
  readonly name: string;
  readonly clusterId: string;
  readonly trustAnchorCertificate: string;
  readonly passwordSecretArn: string;
}

export type StoreProperties = XksStoreProperties | CloudHsmStoreProperties;

export interface KeyProperties {
  readonly customKeyStoreId: string;
  readonly origin: CustomKeyStoreKind;
  readonly xksKeyId?: string;
  readonly description: string;
  readonly policy: string;
  readonly tags: ReadonlyArray<{ TagKey: string; TagValue: string }>;
  readonly pendingWindowInDays: number;
  readonly enabled: boolean;
}

type Raw = Record<string, unknown>;

function text(raw: Raw, name: string, optional = false): string {
  const value = raw[name];
  if (value === undefined || value === '') {
    if (optional) return '';
    throw new KeyStoreError(`resource property ${name} is missing`, false);
  }
  if (typeof value !== 'string') throw new KeyStoreError(`resource property ${name} must be a string`, false);
  return value;
}

export function readStoreProperties(raw: Raw): StoreProperties {
  const kind = text(raw, 'CustomKeyStoreType');
  const name = text(raw, 'CustomKeyStoreName');
  if (kind === 'EXTERNAL_KEY_STORE') {
    const connectivity = text(raw, 'XksProxyConnectivity');
    if (connectivity !== 'VPC_ENDPOINT_SERVICE' && connectivity !== 'PUBLIC_ENDPOINT') {
      throw new KeyStoreError(`XksProxyConnectivity '${connectivity}' must be VPC_ENDPOINT_SERVICE or PUBLIC_ENDPOINT`, false);
    }
    return {
      kind,
      name,
      connectivity,
      uriEndpoint: text(raw, 'XksProxyUriEndpoint'),
      uriPath: text(raw, 'XksProxyUriPath'),
      vpcEndpointServiceName: text(raw, 'XksProxyVpcEndpointServiceName', connectivity === 'PUBLIC_ENDPOINT') || undefined,
      vpcEndpointServiceOwner: text(raw, 'XksProxyVpcEndpointServiceOwner', true) || undefined,
      credentialSecretArn: text(raw, 'CredentialSecretArn'),
    };
  }
  if (kind === 'AWS_CLOUDHSM') {
    return {
      kind,
      name,
      clusterId: text(raw, 'CloudHsmClusterId'),
      trustAnchorCertificate: text(raw, 'TrustAnchorCertificate'),
      passwordSecretArn: text(raw, 'KeyStorePasswordSecretArn'),
    };
  }
  throw new KeyStoreError(`CustomKeyStoreType '${kind}' must be EXTERNAL_KEY_STORE or AWS_CLOUDHSM`, false);
}

export function readKeyProperties(raw: Raw): KeyProperties {
  const origin = text(raw, 'Origin');
  if (origin !== 'EXTERNAL_KEY_STORE' && origin !== 'AWS_CLOUDHSM') {
    throw new KeyStoreError(`Origin '${origin}' must be EXTERNAL_KEY_STORE or AWS_CLOUDHSM`, false);
  }
  const xksKeyId = text(raw, 'XksKeyId', origin === 'AWS_CLOUDHSM') || undefined;
  const policy = raw.KeyPolicy;
  if (typeof policy !== 'object' || policy === null) throw new KeyStoreError('resource property KeyPolicy must be a policy document', false);
  const pending = Number(raw.PendingWindowInDays ?? 30);
  if (!Number.isInteger(pending) || pending < 7 || pending > 30) throw new KeyStoreError('PendingWindowInDays must be 7 to 30', false);
  const tags = Array.isArray(raw.Tags) ? raw.Tags as Array<{ Key: string; Value: string }> : [];
  return {
    customKeyStoreId: text(raw, 'CustomKeyStoreId'),
    origin,
    xksKeyId,
    description: text(raw, 'Description', true),
    policy: JSON.stringify(policy),
    tags: tags.map((t) => ({ TagKey: String(t.Key), TagValue: String(t.Value) })),
    pendingWindowInDays: pending,
    enabled: String(raw.Enabled ?? 'true') !== 'false',
  };
}

/** Properties whose change needs the store disconnected (everything but the name and credential). */
export function connectionChanged(before: StoreProperties, after: StoreProperties): boolean {
  const strip = (p: StoreProperties): object => {
    if (p.kind === 'EXTERNAL_KEY_STORE') {
      const { name: _n, credentialSecretArn: _c, ...rest } = p;
      return rest;
    }
    // A CloudHSM store's password and cluster change only while disconnected.
    const { name: _n, ...rest } = p;
    return rest;
  };
  return JSON.stringify(strip(before)) !== JSON.stringify(strip(after));
}
