/**
 * The demo's audit stack: a multi-Region CloudTrail trail that records every KMS management event,
 * protected by its own keys, with notifications and alarms on the events that matter for the
 * platform's keys, and a dashboard.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KeyAuditTrail } from '../src';

export interface AuditStackProps extends StackProps {
  /** The keys whose events and requests the platform team watches. */
  readonly watchedKeys: kms.IKey[];
  /** Who administers the audit trail's own keys. */
  readonly keyAdministrator: iam.IPrincipal;
}

export class AuditStack extends Stack {
  public readonly trail: KeyAuditTrail;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    this.trail = new KeyAuditTrail(this, 'KeyAudit', { keyAdministrators: [props.keyAdministrator] });
    for (const key of props.watchedKeys) this.trail.watch(key);
  }
}
