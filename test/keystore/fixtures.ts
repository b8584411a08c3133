import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CloudHsmKeyStore, ExternalKeyStore, ExternalKeyStoreProps, XksProxyConnectivity } from '../../src';
import { FAKE_ENV } from '../support/iam';

export const TRUST_ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnVu\n-----END CERTIFICATE-----\n';
export const SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

export interface StoreFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly credential: secretsmanager.Secret;
  readonly appRole: iam.Role;
}

export function storeFixture(): StoreFixture {
  const app = new App();
  const stack = new Stack(app, 'KeyStores', { env: { account: FAKE_ENV.account, region: FAKE_ENV.region } });
  const credential = new secretsmanager.Secret(stack, 'XksCredential', { description: 'XKS SigV4 credential' });
  const appRole = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { app, stack, credential, appRole };
}

export function externalStore(f: StoreFixture, overrides: Partial<ExternalKeyStoreProps> = {}): ExternalKeyStore {
  return new ExternalKeyStore(f.stack, 'Xks', {
    uriEndpoint: 'https://xks.example.com',
    uriPath: '/keystores/prod/kms/xks/v1',
    vpcEndpointServiceName: SERVICE_NAME,
    credentialSecret: f.credential,
    connectivity: XksProxyConnectivity.VPC_ENDPOINT_SERVICE,
    ...overrides,
  });
}

export function cloudHsmStore(f: StoreFixture): CloudHsmKeyStore {
  const password = new secretsmanager.Secret(f.stack, 'KmsUserPassword', { description: 'kmsuser password' });
  return new CloudHsmKeyStore(f.stack, 'Hsm', { clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: TRUST_ANCHOR, kmsUserPasswordSecret: password });
}
