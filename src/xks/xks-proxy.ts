import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ACCESS_KEY_ID_FIELD, createCredentialSecret, SECRET_ACCESS_KEY_FIELD } from './credentials';
import { bundledProxyImage } from './image';
import { EndpointServicePrivateDns } from './private-dns';
import { PROXY_ENV as ENV, proxyConfigDocument, XKS_API_PORT, XKS_HEALTH_PATH, XKS_HEALTH_PORT } from './proxy-config';
import { acceptCustomResourceProviderFindings, acceptFinding } from '../nag-suppressions';
import {
  fail, uriPathFor, validateAvailabilityZones, validateCapacity, validateExternalKeyIds, validatePrivateDnsName, validateTokenLabels,
} from './validation';

const CONTAINER_NAME = 'xks-proxy';

/**
 * What an external key store needs to connect to an XKS proxy: the values of the KMS
 * `CreateCustomKeyStore` call with `XksProxyConnectivity: VPC_ENDPOINT_SERVICE`.
 */
export interface XksProxyConnection {
  /** `XksProxyUriEndpoint`: `https://` and the endpoint service's private DNS name. */
  readonly uriEndpoint: string;
  /** `XksProxyUriPath`: the optional prefix followed by `/kms/xks/v1`. */
  readonly uriPath: string;
  /** `XksProxyVpcEndpointServiceName`: `com.amazonaws.vpce.<region>.vpce-svc-...`. */
  readonly vpcEndpointServiceName: string;
  /**
   * The SigV4 credential (`XksProxyAuthenticationCredential`): a secret whose JSON has the fields
   * `accessKeyId` and `secretAccessKey`.
   */
  readonly credentialSecret: secretsmanager.ISecret;
}

/** Properties of {@link XksProxy}. */
export interface XksProxyProps {
  /**
   * An existing VPC for the proxy. Give this or `vpcProps`, not both.
   * @default - a new VPC made from `vpcProps`
   */
  readonly existingVpc?: ec2.IVpc;

  /**
   * Properties of a new VPC for the proxy. Give this or `existingVpc`, not both.
   * @default - two Availability Zones, public and private subnets, a NAT gateway per zone, flow logs to CloudWatch Logs
   */
  readonly vpcProps?: ec2.VpcProps;

  /**
   * The subnets of the load balancer and the proxy tasks; they must span at least two
   * Availability Zones.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The private DNS name of the VPC endpoint service, e.g. `xks.example.com`. AWS KMS calls the
   * proxy at `https://<privateDnsName>`, so the TLS certificate in `tlsSecret` must be issued for it.
   */
  readonly privateDnsName: string;

  /**
   * The public hosted zone that holds `privateDnsName`; the domain verification TXT record is
   * created in it.
   */
  readonly hostedZone: route53.IHostedZone;

  /**
   * The proxy's TLS server certificate and key: a secret whose JSON has the fields `certificate`
   * (PEM, with its chain) and `privateKey` (PEM). AWS KMS accepts only certificates from public
   * certificate authorities, issued for `privateDnsName`.
   */
  readonly tlsSecret: secretsmanager.ISecret;

  /**
   * The external key ids (CKA_LABELs of AES-256 keys on the HSM token) that the proxy may use.
   * Any other key id gets `KeyNotFoundException`.
   */
  readonly externalKeyIds: string[];

  /**
   * An optional prefix of the XKS URI path, e.g. `/keystores/prod`: `/segment` parts of
   * a-z, A-Z, 0-9, `-` and `_`, no trailing `/`.
   * @default "" (the URI path is `/kms/xks/v1`)
   */
  readonly uriPathPrefix?: string;

  /**
   * Whether the proxy requires mutual TLS: a client certificate chained to an Amazon Trust
   * Services root CA with the common name `cks.kms.<region>.amazonaws.com`. SigV4 is always required.
   * @default true
   */
  readonly mutualTls?: boolean;

  /**
   * The proxy's container image.
   * @default - the bundled proxy, built from `assets/xks-proxy/server` (its Dockerfile) at deploy time
   */
  readonly image?: ecs.ContainerImage;

  /**
   * The PKCS#11 library in the image.
   * @default "/usr/lib/softhsm/libsofthsm2.so" (SoftHSM2, the bundled image's default)
   */
  readonly pkcs11Library?: string;

  /**
   * The label of the HSM token that holds the keys.
   * @default "xks"
   */
  readonly tokenLabel?: string;

  /**
   * The label of the AES-256 key used only by the health check.
   * @default "xks-health"
   */
  readonly healthKeyLabel?: string;

  /**
   * The secret that holds the HSM user PIN as its whole value (CloudHSM: `user:password`).
   * @default - a generated 32-character PIN
   */
  readonly hsmPinSecret?: secretsmanager.ISecret;

  /**
   * Extra, non-secret environment variables of the container, e.g. `XKS_LOG_LEVEL`.
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * The vCPU units of a proxy task.
   * @default 512
   */
  readonly cpu?: number;

  /**
   * The memory of a proxy task, in MiB.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;

  /**
   * The least number of proxy tasks; at least 2, spread over the Availability Zones.
   * @default 2
   */
  readonly minCapacity?: number;

  /**
   * The most proxy tasks that CPU-based autoscaling may run.
   * @default 6
   */
  readonly maxCapacity?: number;

  /**
   * The average CPU utilization that autoscaling keeps the tasks at, in percent.
   * @default 50
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * How long the proxy's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * An XKS proxy for an AWS KMS external key store, reachable by KMS through a VPC endpoint service.
 *
 * The proxy runs on ECS Fargate in at least two Availability Zones behind an internal Network
 * Load Balancer that passes TCP 443 through, so the proxy itself terminates TLS (and mutual TLS).
 * The VPC endpoint service allows only `cks.kms.<region>.amazonaws.com`, without acceptance, and
 * has a verified private DNS name. The SigV4 credential and the HSM PIN live in Secrets Manager and
 * reach the container as secrets, never as plain text in the template.
 */
export class XksProxy extends Construct {
  /** Everything an external key store needs to connect to this proxy. */
  public readonly connection: XksProxyConnection;
  /** The VPC of the proxy. */
  public readonly vpc: ec2.IVpc;
  /** The ECS cluster of the proxy tasks. */
  public readonly cluster: ecs.Cluster;
  /** The Fargate service that runs the proxy. */
  public readonly service: ecs.FargateService;
  /** The internal Network Load Balancer in front of the proxy. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The VPC endpoint service through which AWS KMS reaches the proxy. */
  public readonly endpointService: ec2.VpcEndpointService;
  /** The SigV4 credential secret (JSON fields `accessKeyId` and `secretAccessKey`). */
  public readonly credentialSecret: secretsmanager.ISecret;
  /** The secret that holds the HSM user PIN. */
  public readonly hsmPinSecret: secretsmanager.ISecret;
  /** The log group of the proxy containers. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: XksProxyProps) {
    super(scope, id);
    this.validate(props);
    const uriPathPrefix = props.uriPathPrefix ?? '';
    const uriPath = uriPathFor(this, uriPathPrefix);
    const minCapacity = props.minCapacity ?? 2;

    this.vpc = this.createOrUseVpc(props);
    const subnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    validateAvailabilityZones(this, this.vpc.selectSubnets(subnets).availabilityZones);

    this.credentialSecret = createCredentialSecret(this, 'Credential');
    this.hsmPinSecret = props.hsmPinSecret ?? new secretsmanager.Secret(this, 'HsmPin', {
      description: 'XKS proxy: the PKCS#11 user PIN of the HSM token',
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });
    const taskDefinition = this.createTaskDefinition(props, uriPathPrefix, minCapacity);

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'XKS proxy tasks: XKS API and health port from the NLB; out to AWS APIs and the HSM',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: minCapacity,
      vpcSubnets: subnets,
      securityGroups: [taskSecurityGroup],
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
    });
    this.service.autoScaleTaskCount({ minCapacity, maxCapacity: props.maxCapacity ?? 6 })
      .scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: props.targetCpuUtilizationPercent ?? 50 });

    this.loadBalancer = this.createLoadBalancer(subnets, taskSecurityGroup);
    this.endpointService = new ec2.VpcEndpointService(this, 'EndpointService', {
      vpcEndpointServiceLoadBalancers: [this.loadBalancer],
      acceptanceRequired: false,
      allowedPrincipals: [new iam.ArnPrincipal(`cks.kms.${Stack.of(this).region}.amazonaws.com`)],
    });
    new EndpointServicePrivateDns(this, 'PrivateDns', {
      endpointService: this.endpointService,
      privateDnsName: props.privateDnsName,
      hostedZone: props.hostedZone,
    });

    this.connection = {
      uriEndpoint: `https://${props.privateDnsName}`,
      uriPath,
      vpcEndpointServiceName: this.endpointService.vpcEndpointServiceName,
      credentialSecret: this.credentialSecret,
    };
    this.addOutputs();
    this.acceptFindings(taskDefinition, props.hsmPinSecret === undefined);
  }

  /** The Fargate task: the proxy container with its configuration, secrets, logs and health check. */
  private createTaskDefinition(props: XksProxyProps, uriPathPrefix: string, fleetSize: number): ecs.FargateTaskDefinition {
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryLimitMiB ?? 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const config = proxyConfigDocument({
      uriPathPrefix,
      region: Stack.of(this).region,
      fleetSize,
      externalKeyIds: props.externalKeyIds,
      mutualTls: props.mutualTls ?? true,
      pkcs11Library: props.pkcs11Library ?? '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: props.tokenLabel ?? 'xks',
      healthKeyLabel: props.healthKeyLabel ?? 'xks-health',
    });
    taskDefinition.addContainer('Proxy', {
      containerName: CONTAINER_NAME,
      image: props.image ?? bundledProxyImage(this),
      portMappings: [{ containerPort: XKS_API_PORT }, { containerPort: XKS_HEALTH_PORT }],
      environment: { ...props.environment, [ENV.config]: Stack.of(this).toJsonString(config) },
      secrets: {
        [ENV.accessKeyId]: ecs.Secret.fromSecretsManager(this.credentialSecret, ACCESS_KEY_ID_FIELD),
        [ENV.secretAccessKey]: ecs.Secret.fromSecretsManager(this.credentialSecret, SECRET_ACCESS_KEY_FIELD),
        [ENV.hsmPin]: ecs.Secret.fromSecretsManager(this.hsmPinSecret),
        [ENV.tlsCertificate]: ecs.Secret.fromSecretsManager(props.tlsSecret, 'certificate'),
        [ENV.tlsPrivateKey]: ecs.Secret.fromSecretsManager(props.tlsSecret, 'privateKey'),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'xks-proxy' }),
      healthCheck: {
        command: ['CMD', 'node', '/app/index.js', '--probe', '--port', String(XKS_HEALTH_PORT)],
        interval: Duration.seconds(15),
        startPeriod: Duration.seconds(30),
      },
    });
    return taskDefinition;
  }

  /** The internal NLB: TCP 443 passed through to the tasks, health-checked on the plain health port. */
  private createLoadBalancer(subnets: ec2.SubnetSelection, taskSecurityGroup: ec2.ISecurityGroup): elbv2.NetworkLoadBalancer {
    const loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets: subnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
        vpc: this.vpc,
        description: 'XKS proxy NLB: reached through PrivateLink only; sends to the proxy tasks',
        allowAllOutbound: false,
      })],
      // PrivateLink traffic (from KMS) is not filtered by the NLB's inbound rules; other traffic finds none.
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: false,
    });
    for (const port of [XKS_API_PORT, XKS_HEALTH_PORT]) {
      loadBalancer.connections.allowTo(taskSecurityGroup, ec2.Port.tcp(port), 'XKS proxy NLB to the proxy tasks');
    }
    loadBalancer.addListener('Tls', {
      port: 443,
      protocol: elbv2.Protocol.TCP,
      defaultTargetGroups: [new elbv2.NetworkTargetGroup(this, 'Targets', {
        vpc: this.vpc,
        port: XKS_API_PORT,
        protocol: elbv2.Protocol.TCP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: {
          protocol: elbv2.Protocol.HTTP,
          port: String(XKS_HEALTH_PORT),
          path: XKS_HEALTH_PATH,
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
        targets: [this.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: XKS_API_PORT })],
      })],
    });
    return loadBalancer;
  }

  /** Checks the props that CloudFormation or the proxy would only reject at deploy or run time. */
  private validate(props: XksProxyProps): void {
    if (props.existingVpc && props.vpcProps) {
      fail(this, 'both existingVpc and vpcProps are set', 'Give existingVpc to use a VPC, or vpcProps to create one, not both.');
    }
    if (!props.hostedZone) {
      fail(this, `privateDnsName '${props.privateDnsName}' has no hostedZone`,
        'Pass the public hosted zone of the name, so the domain verification record can be created.');
    }
    if (!props.tlsSecret) {
      fail(this, 'tlsSecret is missing', 'Pass a secret with the JSON fields "certificate" and "privateKey" (PEM) for privateDnsName.');
    }
    validatePrivateDnsName(this, props.privateDnsName, props.hostedZone.zoneName);
    validateExternalKeyIds(this, props.externalKeyIds ?? []);
    validateCapacity(this, props.minCapacity ?? 2, props.maxCapacity ?? 6);
    validateTokenLabels(this, props.tokenLabel ?? 'xks', props.healthKeyLabel ?? 'xks-health');
    if (props.environment && ENV.config in props.environment) {
      fail(this, `environment sets ${ENV.config}`, 'The construct writes the proxy configuration itself; remove that variable.');
    }
  }

  private createOrUseVpc(props: XksProxyProps): ec2.IVpc {
    if (props.existingVpc) return props.existingVpc;
    return new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs() } },
      ...props.vpcProps,
    });
  }

  /** cdk-nag AwsSolutions findings that are the design, each with its reason. */
  private acceptFindings(taskDefinition: ecs.TaskDefinition, pinGenerated: boolean): void {
    acceptFinding(taskDefinition, 'ECS2',
      `Only non-secret configuration is in environment variables (${ENV.config}: ports, key ids, URI path, CA certificates); ` +
      'the SigV4 credential, HSM PIN and TLS key reach the container as ECS secrets from Secrets Manager.');
    acceptFinding(this.loadBalancer, 'ELB2',
      'NLB access logs exist only for TLS listeners; this NLB passes TCP 443 through so the proxy terminates (mutual) TLS, ' +
      'and the proxy writes an access log line per request to CloudWatch Logs.');
    if (pinGenerated) {
      acceptFinding(this.hsmPinSecret, 'SMG4',
        'An HSM PIN must change on the HSM token and in the secret together; Secrets Manager rotation cannot change the token PIN.');
    }
    acceptCustomResourceProviderFindings(this);
  }

  private addOutputs(): void {
    const outputs: Record<string, [string, string]> = {
      UriEndpoint: [this.connection.uriEndpoint, 'XksProxyUriEndpoint of the external key store'],
      UriPath: [this.connection.uriPath, 'XksProxyUriPath of the external key store'],
      VpcEndpointServiceName: [this.connection.vpcEndpointServiceName, 'XksProxyVpcEndpointServiceName of the external key store'],
      CredentialSecretArn: [this.credentialSecret.secretArn, 'Secret with the XKS proxy SigV4 credential (accessKeyId, secretAccessKey)'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, id, { value, description });
    }
  }
}
