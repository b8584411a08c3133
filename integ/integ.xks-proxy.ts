/**
 * Deploys an XksProxy (the bundled proxy image, SoftHSM2 demo keys) and checks through the EC2 and
 * ECS APIs that the endpoint service admits only AWS KMS, without acceptance, that its private DNS
 * name is verified, and that two proxy tasks run. Without AWS credentials integ-runner only
 * verifies the committed snapshot.
 *
 * A real deployment needs a public hosted zone you own and a TLS certificate for the private DNS
 * name from a public CA; give them as XKS_INTEG_ZONE_ID, XKS_INTEG_ZONE_NAME and XKS_INTEG_TLS_SECRET
 * (a secret with the JSON fields `certificate` and `privateKey`). The snapshot uses placeholders.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { XksProxy } from '../src';

const zoneName = process.env.XKS_INTEG_ZONE_NAME ?? 'xks-integ.example.com';

const app = new App();
const stack = new Stack(app, 'XksProxyInteg');

const proxy = new XksProxy(stack, 'Proxy', {
  privateDnsName: `proxy.${zoneName}`,
  hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: process.env.XKS_INTEG_ZONE_ID ?? 'Z0000000000000000000',
    zoneName,
  }),
  tlsSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Tls', process.env.XKS_INTEG_TLS_SECRET ?? 'xks-integ-tls'),
  externalKeyIds: ['integ-key-1'],
  uriPathPrefix: '/integ',
  // The bundled image's SoftHSM2 demo mode: keys generated in each task (test only).
  environment: { XKS_SOFTHSM_DEMO_KEYS: 'integ-key-1' },
});

const integ = new IntegTest(app, 'XksProxyTest', { testCases: [stack] });
const serviceId = proxy.endpointService.vpcEndpointServiceId;

integ.assertions
  .awsApiCall('EC2', 'describeVpcEndpointServicePermissions', { ServiceId: serviceId })
  .expect(ExpectedResult.objectLike({ AllowedPrincipals: [{ Principal: `cks.kms.${stack.region}.amazonaws.com` }] }));

integ.assertions
  .awsApiCall('EC2', 'describeVpcEndpointServiceConfigurations', { ServiceIds: [serviceId] })
  .expect(ExpectedResult.objectLike({
    ServiceConfigurations: [{ AcceptanceRequired: false, PrivateDnsNameConfiguration: { State: 'verified' } }],
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1) });

integ.assertions
  .awsApiCall('ECS', 'describeServices', { cluster: proxy.cluster.clusterArn, services: [proxy.service.serviceArn] })
  .expect(ExpectedResult.objectLike({ services: [{ runningCount: 2 }] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });

app.synth();
