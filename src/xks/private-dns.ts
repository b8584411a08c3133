import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsCustomResource, AwsCustomResourcePolicy, AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acceptFinding } from '../nag-suppressions';

/** Properties of {@link EndpointServicePrivateDns}. */
export interface EndpointServicePrivateDnsProps {
  /** The endpoint service that gets the name. */
  readonly endpointService: ec2.IVpcEndpointService;
  /** The private DNS name, inside `hostedZone`. */
  readonly privateDnsName: string;
  /** The public hosted zone that receives the domain verification TXT record. */
  readonly hostedZone: route53.IHostedZone;
}

/**
 * Gives a VPC endpoint service a private DNS name and proves the domain is ours: sets the name,
 * publishes the TXT record EC2 asks for, and starts the domain verification.
 *
 * CloudFormation's AWS::EC2::VPCEndpointService has no private DNS property, and the verification
 * record's name and value exist only once EC2 has accepted the name, so each step is an
 * AwsCustomResource (one SDK call each, sharing one provider function).
 */
export class EndpointServicePrivateDns extends Construct {
  /** The name of the TXT record (relative to the hosted zone), known at deploy time. */
  public readonly verificationRecordName: string;
  /** The value of the TXT record, known at deploy time. */
  public readonly verificationRecordValue: string;

  constructor(scope: Construct, id: string, props: EndpointServicePrivateDnsProps) {
    super(scope, id);
    const serviceId = props.endpointService.vpcEndpointServiceId;
    const serviceArn = Stack.of(this).formatArn({ service: 'ec2', resource: 'vpc-endpoint-service', resourceName: serviceId });
    // Part of every call, so changing the name re-runs all three steps.
    const physicalResourceId = PhysicalResourceId.of(`${serviceId}:${props.privateDnsName}`);

    const setName = this.sdkCall('SetName', {
      service: 'EC2',
      action: 'modifyVpcEndpointServiceConfiguration',
      parameters: { ServiceId: serviceId, PrivateDnsName: props.privateDnsName },
      physicalResourceId,
    }, new iam.PolicyStatement({ actions: ['ec2:ModifyVpcEndpointServiceConfiguration'], resources: [serviceArn] }));

    const configuration = 'ServiceConfigurations.0.PrivateDnsNameConfiguration';
    const describe = this.sdkCall('ReadVerification', {
      service: 'EC2',
      action: 'describeVpcEndpointServiceConfigurations',
      parameters: { ServiceIds: [serviceId] },
      physicalResourceId,
      outputPaths: [`${configuration}.Name`, `${configuration}.Value`],
    }, new iam.PolicyStatement({ actions: ['ec2:DescribeVpcEndpointServiceConfigurations'], resources: ['*'] }));
    describe.node.addDependency(setName);
    acceptFinding(describe, 'IAM5', 'ec2:DescribeVpcEndpointServiceConfigurations supports no resource-level permissions.', ['Resource::*']);
    this.verificationRecordName = describe.getResponseField(`${configuration}.Name`);
    this.verificationRecordValue = describe.getResponseField(`${configuration}.Value`);

    const record = new route53.TxtRecord(this, 'VerificationRecord', {
      zone: props.hostedZone,
      recordName: this.verificationRecordName,
      values: [this.verificationRecordValue],
      ttl: Duration.minutes(5),
      comment: `Domain ownership of ${props.privateDnsName} for VPC endpoint service ${serviceId}`,
    });

    const verify = this.sdkCall('StartVerification', {
      service: 'EC2',
      action: 'startVpcEndpointServicePrivateDnsVerification',
      parameters: { ServiceId: serviceId },
      physicalResourceId,
    }, new iam.PolicyStatement({ actions: ['ec2:StartVpcEndpointServicePrivateDnsVerification'], resources: [serviceArn] }));
    verify.node.addDependency(record);
  }

  /** One AwsCustomResource that makes `call` on create and update, allowed by `statement` only. */
  private sdkCall(id: string, call: AwsSdkCall, statement: iam.PolicyStatement): AwsCustomResource {
    return new AwsCustomResource(this, id, {
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromStatements([statement]),
      // The SDK in the Lambda runtime has these EC2 calls; no download at deploy time.
      installLatestAwsSdk: false,
    });
  }
}
