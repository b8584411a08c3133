import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { XksProxy, XksProxyProps } from '../../src';

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
export const PREBUILT_IMAGE = 'public.ecr.aws/example/xks-proxy:1.0.0';

/** A file that exists, standing in for the PKCS#11 library when the proxy's own validator runs. */
export const FAKE_PKCS11_LIBRARY = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xks-pkcs11-')), 'libfake.so');
fs.writeFileSync(FAKE_PKCS11_LIBRARY, '');

export interface ProxyFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly proxy: XksProxy;
}

/** The props every test needs, built inside `stack`. */
export function requiredProps(stack: Stack): XksProxyProps {
  return {
    privateDnsName: 'xks.example.com',
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' }),
    tlsSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Tls', 'xks-proxy-tls'),
    externalKeyIds: ['prod-key-1', 'prod-key-2'],
    image: ecs.ContainerImage.fromRegistry(PREBUILT_IMAGE),
  };
}

/** One App and Stack (in a fixed account and Region) with one XksProxy; `overrides` replace defaults. */
export function makeProxy(overrides: (stack: Stack) => Partial<XksProxyProps> = () => ({})): ProxyFixture {
  const app = new App();
  const stack = new Stack(app, 'XksStack', { env: { account: ACCOUNT, region: REGION } });
  const proxy = new XksProxy(stack, 'Proxy', { ...requiredProps(stack), ...overrides(stack) });
  return { app, stack, proxy };
}
