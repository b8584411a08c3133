import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ACCOUNT, FAKE_PKCS11_LIBRARY, makeProxy, REGION, requiredProps } from './fixtures';
import { parseConfig } from '../../lambda/xks-proxy/config';
import { XksProxy } from '../../src';
import { stableTemplateJson, synthTemplate } from '../support/template';

const KMS_PRINCIPAL = `cks.kms.${REGION}.amazonaws.com`;

/** The one resource of `type`, with its logical id. */
function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The proxy container of the (one) task definition. */
function proxyContainer(template: Template): any {
  return only(template, 'AWS::ECS::TaskDefinition')[1].Properties.ContainerDefinitions[0];
}

/** The proxy configuration document the container receives (CONFIG.md). */
function proxyConfigJson(template: Template): string {
  const variable = proxyContainer(template).Environment.find((e: any) => e.Name === 'XKS_PROXY_CONFIG_JSON');
  expect(typeof variable.Value).toBe('string');
  return variable.Value;
}

/** The logical id of the SigV4 credential secret (the one that generates `secretAccessKey`). */
function credentialSecretId(template: Template): string {
  const secrets = Object.entries(template.findResources('AWS::SecretsManager::Secret'));
  return secrets.find(([, r]) => r.Properties.GenerateSecretString.GenerateStringKey === 'secretAccessKey')![0];
}

/** The Availability Zones of the subnets that `subnetRefs` (`{ Ref }` objects) point to. */
function zonesOf(template: Template, subnetRefs: Array<{ Ref: string }>): string[] {
  const subnets = template.findResources('AWS::EC2::Subnet');
  return subnetRefs.map((ref) => JSON.stringify(subnets[ref.Ref].Properties.AvailabilityZone));
}

describe('XksProxy template', () => {
  // One synthesis shared by the read-only assertions below (each test reads, none mutates).
  const { stack, proxy } = makeProxy();
  const template = synthTemplate(stack);

  test('the NLB is internal, in two Availability Zones, and passes TCP 443 through to the proxy port', () => {
    const [lbId, lb] = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties).toMatchObject({ Type: 'network', Scheme: 'internal' });
    expect(new Set(zonesOf(template, lb.Properties.Subnets)).size).toBe(2);

    const [, listener] = only(template, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener.Properties).toMatchObject({ LoadBalancerArn: { Ref: lbId }, Port: 443, Protocol: 'TCP' });
    expect(listener.Properties.Certificates).toBeUndefined(); // no TLS termination at the NLB

    const [tgId, targetGroup] = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(listener.Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: tgId } }]);
    expect(targetGroup.Properties).toMatchObject({ Port: 8443, Protocol: 'TCP', TargetType: 'ip' });
  });

  test('the target group health check is plain HTTP on the health port, never the mutual-TLS API port', () => {
    const [, targetGroup] = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(targetGroup.Properties).toMatchObject({
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '8080',
      HealthCheckPath: '/healthz',
      Matcher: { HttpCode: '200' },
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    });
    expect(proxyContainer(template).HealthCheck.Command).toEqual(['CMD', 'node', '/app/index.js', '--probe', '--port', '8080']);
  });

  test('the Fargate service runs at least two tasks in private subnets of two Availability Zones, behind the target group', () => {
    const [, service] = only(template, 'AWS::ECS::Service');
    const [targetGroupId] = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const network = service.Properties.NetworkConfiguration.AwsvpcConfiguration;
    expect(network.AssignPublicIp).toBe('DISABLED');
    expect(new Set(zonesOf(template, network.Subnets)).size).toBe(2);
    const subnets = template.findResources('AWS::EC2::Subnet');
    for (const ref of network.Subnets) {
      expect(subnets[ref.Ref].Properties.MapPublicIpOnLaunch).toBe(false);
    }
    expect(service.Properties).toMatchObject({
      LaunchType: 'FARGATE',
      DesiredCount: 2,
      DeploymentConfiguration: { MinimumHealthyPercent: 100, DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      LoadBalancers: [{ ContainerName: 'xks-proxy', ContainerPort: 8443, TargetGroupArn: { Ref: targetGroupId } }],
    });
  });

  test('only the NLB reaches the tasks, on the API and health ports; nothing is open to the world', () => {
    const [, lb] = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic).toBe('off');
    const lbGroup = lb.Properties.SecurityGroups[0];
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
    expect(ingress.map((rule) => [rule.FromPort, rule.ToPort, rule.SourceSecurityGroupId]).sort()).toEqual([
      [8080, 8080, lbGroup],
      [8443, 8443, lbGroup],
    ].sort());
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')).map((r: any) => r.Properties);
    for (const group of groups) expect(group.SecurityGroupIngress ?? []).toEqual([]);
  });

  test('the VPC endpoint service allows only cks.kms.<region>.amazonaws.com, without acceptance', () => {
    const [serviceId, endpointService] = only(template, 'AWS::EC2::VPCEndpointService');
    const [lbId] = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(endpointService.Properties).toEqual({ AcceptanceRequired: false, NetworkLoadBalancerArns: [{ Ref: lbId }] });
    const [, permissions] = only(template, 'AWS::EC2::VPCEndpointServicePermissions');
    expect(permissions.Properties).toEqual({ ServiceId: { Ref: serviceId }, AllowedPrincipals: [KMS_PRINCIPAL] });
  });

  test('the private DNS name is set, its verification TXT record is published, then verification starts', () => {
    const [serviceId] = only(template, 'AWS::EC2::VPCEndpointService');
    const calls = Object.entries(template.findResources('Custom::AWS')).map(([id, r]: [string, any]) => ({
      id,
      dependsOn: r.DependsOn ?? [],
      raw: r.Properties.Create,
    }));
    const byAction = (action: string) => {
      const call = calls.find((c) => JSON.stringify(c.raw).includes(`\\"action\\":\\"${action}\\"`));
      expect(call).toBeDefined();
      return call!;
    };
    const setName = byAction('modifyVpcEndpointServiceConfiguration');
    expect(JSON.stringify(setName.raw)).toContain('\\"PrivateDnsName\\":\\"xks.example.com\\"');
    expect(JSON.stringify(setName.raw)).toContain(serviceId);
    const read = byAction('describeVpcEndpointServiceConfigurations');
    expect(read.dependsOn).toContain(setName.id);

    const [recordId, record] = only(template, 'AWS::Route53::RecordSet');
    expect(record.Properties).toMatchObject({
      Type: 'TXT',
      HostedZoneId: 'Z0123456789ABC',
      Name: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [read.id, 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Name'] }, '.example.com.']] },
      ResourceRecords: [{ 'Fn::Join': ['', ['"', { 'Fn::GetAtt': [read.id, 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Value'] }, '"']] }],
    });
    const verify = byAction('startVpcEndpointServicePrivateDnsVerification');
    expect(verify.dependsOn).toContain(recordId);
  });

  test('the custom resources may call only their own EC2 action, on this endpoint service where IAM allows it', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => String(s.Action).startsWith('ec2:') || String(s.Action).startsWith('secretsmanager:GetRandom'));
    const byAction = Object.fromEntries(statements.map((s: any) => [s.Action, s.Resource]));
    const [serviceId] = only(template, 'AWS::EC2::VPCEndpointService');
    const serviceArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:${REGION}:${ACCOUNT}:vpc-endpoint-service/`, { Ref: serviceId }]] };
    expect(byAction).toEqual({
      'ec2:ModifyVpcEndpointServiceConfiguration': serviceArn,
      'ec2:StartVpcEndpointServicePrivateDnsVerification': serviceArn,
      // Neither call supports resource-level permissions.
      'ec2:DescribeVpcEndpointServiceConfigurations': '*',
      'secretsmanager:GetRandomPassword': '*',
    });
  });

  test('the SigV4 credential is generated by Secrets Manager within the XKS spec rules and never written in the template', () => {
    const credentialId = credentialSecretId(template);
    const secretKey = template.findResources('AWS::SecretsManager::Secret')[credentialId].Properties.GenerateSecretString;
    // 43-64 characters of a-z A-Z 0-9 + / =; letters and digits only, 64 of them: ~380 bits.
    expect(secretKey).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secretKey.SecretString).toBeUndefined();

    const [generatorId, generator] = Object.entries(template.findResources('Custom::AWS'))
      .find(([, r]: [string, any]) => JSON.stringify(r.Properties.Create).includes('getRandomPassword'))!;
    const call = JSON.parse((generator as any).Properties.Create);
    expect(call.logApiResponseData).toBe(false);
    const { PasswordLength, ExcludeLowercase, ExcludePunctuation, ExcludeCharacters, IncludeSpace } = call.parameters;
    // The access key id: 20-30 characters of A-Z and 2-7. Secrets Manager draws from
    // upper case, lower case, digits and punctuation; what is left after the exclusions:
    const alphabet = [
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      ...(ExcludeLowercase ? [] : [...'abcdefghijklmnopqrstuvwxyz']),
      ...'0123456789',
      ...(ExcludePunctuation ? [] : [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']),
      ...(IncludeSpace ? [' '] : []),
    ].filter((c) => !ExcludeCharacters.includes(c));
    expect(alphabet.join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');
    expect(PasswordLength).toBeGreaterThanOrEqual(20);
    expect(PasswordLength).toBeLessThanOrEqual(30);
    expect(secretKey.SecretStringTemplate).toEqual({
      'Fn::Join': ['', ['{"accessKeyId":"', { 'Fn::GetAtt': [generatorId, 'RandomPassword'] }, '"}']],
    });
    expect(stack.resolve(proxy.credentialSecret.secretArn)).toEqual({ Ref: credentialId });
  });

  test('secrets reach the container only as ECS secrets; the environment holds no secret value', () => {
    const container = proxyContainer(template);
    expect(container.Environment.map((e: any) => e.Name)).toEqual(['XKS_PROXY_CONFIG_JSON']);
    const secrets = Object.fromEntries(container.Secrets.map((s: any) => [s.Name, JSON.stringify(s.ValueFrom)]));
    const credentialId = credentialSecretId(template);
    const [pinId] = Object.entries(template.findResources('AWS::SecretsManager::Secret'))
      .find(([, r]: [string, any]) => r.Properties.Description.includes('PIN'))!;
    expect(secrets).toEqual({
      XKS_ACCESS_KEY_ID: expect.stringMatching(new RegExp(`${credentialId}.*:accessKeyId::`)),
      XKS_SECRET_ACCESS_KEY: expect.stringMatching(new RegExp(`${credentialId}.*:secretAccessKey::`)),
      XKS_HSM_PIN: JSON.stringify({ Ref: pinId }),
      XKS_TLS_CERTIFICATE: expect.stringMatching(/secret:xks-proxy-tls:certificate::/),
      XKS_TLS_PRIVATE_KEY: expect.stringMatching(/secret:xks-proxy-tls:privateKey::/),
    });
    const config = JSON.parse(proxyConfigJson(template));
    expect(config.server.tls.privateKey).toEqual({ env: 'XKS_TLS_PRIVATE_KEY' });
    expect(config.pkcs11.pin).toEqual({ env: 'XKS_HSM_PIN' });
    expect(config.keyStores[0].credentials).toEqual([{ accessKeyId: { env: 'XKS_ACCESS_KEY_ID' }, secretAccessKey: { env: 'XKS_SECRET_ACCESS_KEY' } }]);
  });

  test("the proxy's own configuration validator accepts what the construct writes", () => {
    const json = JSON.parse(proxyConfigJson(template));
    json.pkcs11.library = FAKE_PKCS11_LIBRARY; // the validator checks that the library file exists
    const config = parseConfig(JSON.stringify(json), {
      XKS_ACCESS_KEY_ID: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      XKS_SECRET_ACCESS_KEY: 'a'.repeat(64),
      XKS_HSM_PIN: '1234',
      XKS_TLS_CERTIFICATE: '-----BEGIN CERTIFICATE-----',
      XKS_TLS_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----',
    });
    expect(config.server.port).toBe(8443);
    expect(config.healthCheck).toMatchObject({ port: 8080, path: '/healthz' });
    expect(config.server.tls?.clientAuth?.allowedCommonNames).toEqual([KMS_PRINCIPAL]);
    expect(config.server.tls?.clientAuth?.caCertificates).toMatch(/^(-----BEGIN CERTIFICATE-----\n[^-]+-----END CERTIFICATE-----\n){4}$/);
    expect(config.keyStores).toHaveLength(1);
    expect(config.keyStores[0]).toMatchObject({ uriPathPrefix: '', region: REGION });
    expect([...config.keyStores[0].keys]).toEqual(['prod-key-1', 'prod-key-2']);
    expect(config.proxy.fleetSize).toBe(2);
  });

  test('CPU-based autoscaling keeps 2 to 6 tasks at 50 % CPU', () => {
    const [targetId, target] = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties).toMatchObject({ MinCapacity: 2, MaxCapacity: 6, ScalableDimension: 'ecs:service:DesiredCount' });
    const [, policy] = only(template, 'AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(policy.Properties).toMatchObject({
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: targetId },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 50,
      },
    });
  });

  test('the container logs to its own log group, kept for a year; the cluster has Container Insights', () => {
    const logGroupId = stack.resolve(proxy.logGroup.logGroupName).Ref;
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId].Properties).toEqual({ RetentionInDays: 365 });
    expect(proxyContainer(template).LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': { Ref: logGroupId }, 'awslogs-stream-prefix': 'xks-proxy', 'awslogs-region': REGION },
    });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  test('the new VPC spans two Availability Zones and logs its flows', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });

  test('the connection and the stack outputs carry what an external key store needs', () => {
    const [serviceId] = only(template, 'AWS::EC2::VPCEndpointService');
    const credentialId = credentialSecretId(template);
    expect(proxy.connection.uriEndpoint).toBe('https://xks.example.com');
    expect(proxy.connection.uriPath).toBe('/kms/xks/v1');
    expect(stack.resolve(proxy.connection.vpcEndpointServiceName)).toEqual({
      'Fn::Join': ['.', ['com.amazonaws.vpce', { Ref: 'AWS::Region' }, { Ref: serviceId }]],
    });
    expect(proxy.connection.credentialSecret).toBe(proxy.credentialSecret);

    const outputs = Object.values(template.toJSON().Outputs as Record<string, any>).map((o) => o.Value);
    expect(outputs).toEqual([
      'https://xks.example.com',
      '/kms/xks/v1',
      stack.resolve(proxy.connection.vpcEndpointServiceName),
      { Ref: credentialId },
    ]);
  });

  test('snapshot (asset hashes replaced)', () => {
    expect(stableTemplateJson(template)).toMatchSnapshot();
  });
});

describe('XksProxy options', () => {
  test('a URI path prefix is part of the connection, the output and the proxy configuration', () => {
    const { stack, proxy } = makeProxy(() => ({ uriPathPrefix: '/keystores/prod_1' }));
    const template = synthTemplate(stack);
    expect(proxy.connection.uriPath).toBe('/keystores/prod_1/kms/xks/v1');
    expect(Object.values(template.toJSON().Outputs as Record<string, any>).map((o) => o.Value)).toContain('/keystores/prod_1/kms/xks/v1');
    expect(JSON.parse(proxyConfigJson(template)).keyStores[0].uriPathPrefix).toBe('/keystores/prod_1');
  });

  test('mutualTls: false leaves SigV4 only (no client certificate required)', () => {
    const { stack } = makeProxy(() => ({ mutualTls: false }));
    const config = JSON.parse(proxyConfigJson(synthTemplate(stack)));
    expect(config.server.tls).toEqual({ certificate: { env: 'XKS_TLS_CERTIFICATE' }, privateKey: { env: 'XKS_TLS_PRIVATE_KEY' } });
  });

  test('an existing VPC and HSM PIN secret are used, not created', () => {
    const { stack, proxy } = makeProxy((s) => ({
      existingVpc: new ec2.Vpc(s, 'SharedVpc', { maxAzs: 3, natGateways: 1 }),
      hsmPinSecret: secretsmanager.Secret.fromSecretNameV2(s, 'Pin', 'cloudhsm-crypto-user'),
      pkcs11Library: '/opt/cloudhsm/lib/libcloudhsm_pkcs11.so',
    }));
    const template = synthTemplate(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(proxy.vpc.node.path).toBe('XksStack/SharedVpc');
    template.resourceCountIs('AWS::SecretsManager::Secret', 1); // the credential only
    const container = proxyContainer(template);
    expect(JSON.stringify(container.Secrets.find((s: any) => s.Name === 'XKS_HSM_PIN').ValueFrom)).toContain('secret:cloudhsm-crypto-user');
    expect(JSON.parse(proxyConfigJson(template)).pkcs11.library).toBe('/opt/cloudhsm/lib/libcloudhsm_pkcs11.so');
    const [, service] = only(template, 'AWS::ECS::Service');
    expect(new Set(zonesOf(template, service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets)).size).toBe(3);
  });

  test('capacity, task size, log retention and extra environment are honoured', () => {
    const { stack } = makeProxy(() => ({
      minCapacity: 3,
      maxCapacity: 9,
      targetCpuUtilizationPercent: 40,
      cpu: 1024,
      memoryLimitMiB: 2048,
      logRetention: logs.RetentionDays.THREE_MONTHS,
      environment: { XKS_LOG_LEVEL: 'debug' },
    }));
    const template = synthTemplate(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 9 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 40 }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' });
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(proxyContainer(template).Environment).toContainEqual({ Name: 'XKS_LOG_LEVEL', Value: 'debug' });
    expect(JSON.parse(proxyConfigJson(template)).proxy.fleetSize).toBe(3);
  });

  test('in a Region-agnostic stack the allowed principal and the mTLS common name follow the deployment Region', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new XksProxy(stack, 'Proxy', requiredProps(stack));
    const template = synthTemplate(stack);
    const principal = { 'Fn::Join': ['', ['cks.kms.', { Ref: 'AWS::Region' }, '.amazonaws.com']] };
    template.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', { AllowedPrincipals: [principal] });
    expect(JSON.stringify(proxyContainer(template).Environment)).toContain('"allowedCommonNames\\":[\\"cks.kms.');
  });
});
