import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { makeProxy, requiredProps } from './fixtures';
import { XksProxy, XksProxyProps } from '../../src';
import { BUNDLED_PROXY_DIR, bundledProxyImage } from '../../src/xks/image';

/** Builds an XksProxy with `overrides` and returns the error message it throws. */
function errorOf(overrides: (stack: Stack) => Partial<XksProxyProps>): string {
  try {
    makeProxy(overrides);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected XksProxy to reject the props');
}

describe('XksProxy rejects bad props at synth time, naming the construct and the fix', () => {
  test('existingVpc and vpcProps together', () => {
    expect(errorOf((s) => ({ existingVpc: new ec2.Vpc(s, 'Vpc'), vpcProps: { maxAzs: 2 } })))
      .toBe('XksStack/Proxy: both existingVpc and vpcProps are set. Give existingVpc to use a VPC, or vpcProps to create one, not both.');
  });

  test('fewer than two Availability Zones, in a new or an existing VPC', () => {
    expect(errorOf(() => ({ vpcProps: { maxAzs: 1 } }))).toMatch(/^XksStack\/Proxy: the proxy subnets span 1 Availability Zone\(s\)\. .*at least two/);
    expect(errorOf((s) => ({ existingVpc: new ec2.Vpc(s, 'OneZone', { maxAzs: 1 }) }))).toMatch(/span 1 Availability Zone/);
    expect(errorOf((s) => {
      const vpc = new ec2.Vpc(s, 'TwoZones', { maxAzs: 2 });
      return { existingVpc: vpc, vpcSubnets: { availabilityZones: vpc.availabilityZones.slice(0, 1) } };
    })).toMatch(/span 1 Availability Zone/);
  });

  test.each([
    ['kms', 'no leading slash'],
    ['/keystores/', 'a trailing slash'],
    ['/key stores', 'a space'],
    ['/keystores/prod.1', 'a dot'],
    ['/keystores//prod', 'an empty segment'],
  ])('URI path prefix %j (%s)', (prefix) => {
    expect(errorOf(() => ({ uriPathPrefix: prefix })))
      .toBe(`XksStack/Proxy: uriPathPrefix '${prefix}' is not a valid XKS URI path prefix. ` +
        'Use "" or "/segment[/segment...]" with only a-z, A-Z, 0-9, "-" and "_", no trailing "/", known at synth time (e.g. "/keystores/prod").');
  });

  test('a URI path longer than the 128 characters the spec allows', () => {
    expect(() => makeProxy(() => ({ uriPathPrefix: `/${'a'.repeat(116)}` }))).not.toThrow(); // 117 + 11 = 128
    expect(errorOf(() => ({ uriPathPrefix: `/${'a'.repeat(117)}` })))
      .toMatch(/has 129 characters, more than the 128 the XKS spec allows\. Shorten uriPathPrefix to at most 117 characters\.$/);
  });

  test('privateDnsName without hostedZone (as a JavaScript caller can do)', () => {
    expect(errorOf(() => ({ hostedZone: undefined as unknown as route53.IHostedZone })))
      .toMatch(/^XksStack\/Proxy: privateDnsName 'xks.example.com' has no hostedZone\. Pass the public hosted zone/);
  });

  test('privateDnsName outside the hosted zone, or not a DNS host name', () => {
    expect(errorOf(() => ({ privateDnsName: 'xks.example.org' })))
      .toMatch(/privateDnsName 'xks.example.org' is not inside the hosted zone 'example.com'/);
    expect(errorOf(() => ({ privateDnsName: 'notexample.com' }))).toMatch(/is not inside the hosted zone/);
    for (const name of ['XKS.example.com', 'xks_1.example.com', 'localhost', '-xks.example.com', `${'a'.repeat(64)}.example.com`]) {
      expect(errorOf(() => ({ privateDnsName: name }))).toMatch(/is not a valid lower-case DNS host name/);
    }
  });

  test('no external key ids, or ids outside the spec', () => {
    expect(errorOf(() => ({ externalKeyIds: [] }))).toMatch(/externalKeyIds is empty\. List the labels/);
    expect(errorOf(() => ({ externalKeyIds: ['ok-1', 'bad/id', 'a'.repeat(129)] })))
      .toMatch(/externalKeyIds 'bad\/id', 'a{129}' are not valid XKS external key ids/);
  });

  test('fewer than two tasks, or a maximum below the minimum', () => {
    expect(errorOf(() => ({ minCapacity: 1 }))).toMatch(/minCapacity is 1\. Use at least 2/);
    expect(errorOf(() => ({ minCapacity: 4, maxCapacity: 3 }))).toMatch(/maxCapacity \(3\) is smaller than minCapacity \(4\)/);
  });

  test('an HSM token label over 32 characters, or a health key label outside the key-id rules', () => {
    expect(errorOf(() => ({ tokenLabel: 't'.repeat(33) }))).toMatch(/tokenLabel 't{33}' is not a PKCS#11 token label\. Use 1 to 32 characters/);
    expect(errorOf(() => ({ healthKeyLabel: 'health key' }))).toMatch(/healthKeyLabel 'health key' is not a valid key label/);
  });

  test('an environment variable that would replace the generated proxy configuration', () => {
    expect(errorOf(() => ({ environment: { XKS_PROXY_CONFIG_JSON: '{}' } }))).toMatch(/environment sets XKS_PROXY_CONFIG_JSON/);
  });

  test('no tlsSecret (as a JavaScript caller can do)', () => {
    expect(errorOf(() => ({ tlsSecret: undefined as any }))).toMatch(/tlsSecret is missing/);
  });
});

/** Synthesizes `app` and lists the Docker image assets of `stackName`: platform and staged files. */
function stagedDockerImages(app: App, stackName: string): Array<{ platform: string; files: string[] }> {
  const assembly = app.synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stackName}.assets.json`), 'utf8'));
  return Object.values(manifest.dockerImages as Record<string, any>).map((image) => ({
    platform: image.source.platform,
    files: fs.readdirSync(path.join(assembly.directory, image.source.directory)).sort(),
  }));
}

describe('the default container image', () => {
  test('is the bundle folder assets/xks-proxy/server (same depth from src/xks and lib/xks)', () => {
    expect(path.relative(path.join(__dirname, '..', '..'), BUNDLED_PROXY_DIR)).toBe(path.join('assets', 'xks-proxy', 'server'));
  });

  test('stages the real bundle: the proxy, its Dockerfile and entrypoint (after `npx projen bundle`)', () => {
    if (!fs.existsSync(path.join(BUNDLED_PROXY_DIR, 'index.js'))) {
      throw new Error(`${BUNDLED_PROXY_DIR} is empty: run \`npx projen bundle\` before the tests`);
    }
    const app = new App();
    const stack = new Stack(app, 'RealBundle', { env: { account: '111122223333', region: 'eu-west-1' } });
    new XksProxy(stack, 'Proxy', { ...requiredProps(stack), image: undefined });
    expect(stagedDockerImages(app, 'RealBundle')).toEqual([
      { platform: 'linux/amd64', files: ['Dockerfile', 'docker-entrypoint.sh', 'index.js'] },
    ]);
  });

  test('without the bundled proxy, says to run the bundle step', () => {
    const stack = new Stack(new App(), 'NoBundle');
    expect(() => bundledProxyImage(stack, path.join(os.tmpdir(), 'xks-not-bundled')))
      .toThrow(/^NoBundle: the bundled XKS proxy image is missing .*Run `npx projen bundle`, or pass `image` with a prebuilt proxy image\.$/);
  });

  test('is a linux/amd64 Docker image asset, staged at synth without running Docker', () => {
    const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-bundle-'));
    fs.writeFileSync(path.join(bundle, 'Dockerfile'), 'FROM scratch\nCOPY index.js /app/index.js\n');
    fs.writeFileSync(path.join(bundle, 'index.js'), '');
    const previousDocker = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker'; // any attempt to run Docker at synth would fail
    try {
      const app = new App();
      const stack = new Stack(app, 'Bundled', { env: { account: '111122223333', region: 'eu-west-1' } });
      new XksProxy(stack, 'Proxy', { ...requiredProps(stack), image: bundledProxyImage(stack, bundle) });
      expect(stagedDockerImages(app, 'Bundled')).toEqual([{ platform: 'linux/amd64', files: ['Dockerfile', 'index.js'] }]);
    } finally {
      if (previousDocker === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = previousDocker;
      fs.rmSync(bundle, { recursive: true, force: true });
    }
  });
});
