/**
 * Synth-time checks of a trail's event selectors and log retention. Whether a trail records KMS
 * events is lint rule KMS12's question: these functions ask it rather than answer it again.
 */
import { Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as logs from 'aws-cdk-lib/aws-logs';
import { lintResource } from '../lint/lint';
import { CLOUDTRAIL_TRAIL } from '../lint/rule';
import { trailRecordsKms } from '../lint/rules/cloudtrail';

/** The management-event selector of a created trail. */
export function managementEventSelector(
  readWriteType: cloudtrail.ReadWriteType = cloudtrail.ReadWriteType.ALL,
  excludeSources?: string[],
): cloudtrail.CfnTrail.EventSelectorProperty {
  const none = readWriteType === cloudtrail.ReadWriteType.NONE;
  return {
    includeManagementEvents: !none,
    readWriteType: none ? cloudtrail.ReadWriteType.ALL : readWriteType,
    excludeManagementEventSources: excludeSources && excludeSources.length > 0 ? [...excludeSources] : undefined,
  };
}

/** KMS12's findings on the selector a created trail would get, as problems with their fix. */
export function kmsEventProblems(readWriteType?: cloudtrail.ReadWriteType, excludeSources?: string[]): string[] {
  const selector = managementEventSelector(readWriteType, excludeSources);
  return kms12({
    EventSelectors: [{
      IncludeManagementEvents: selector.includeManagementEvents,
      ReadWriteType: selector.readWriteType,
      ExcludeManagementEventSources: selector.excludeManagementEventSources,
    }],
  });
}

/** KMS12's findings on a trail of this app (resolved at synth). */
export function cfnTrailKmsEventProblems(trail: cloudtrail.CfnTrail): string[] {
  const stack = Stack.of(trail);
  // _toCloudFormation renders the resource exactly as it goes into the template.
  const rendered = stack.resolve((trail as any)._toCloudFormation()).Resources as Record<string, { Properties?: object }>;
  const [resource] = Object.values(rendered);
  return kms12(resource?.Properties ?? {}, trail.node.path);
}

function kms12(properties: object, path?: string): string[] {
  return lintResource('Trail', { Type: CLOUDTRAIL_TRAIL, Properties: properties }, {}, [trailRecordsKms])
    .map((finding) => `${path ? `trail ${path}: ` : ''}${finding.message} (${finding.ruleId}). ${finding.fix}`);
}

/** A retention shorter than the minimum (INFINITE is always long enough). */
export function retentionProblems(retention: logs.RetentionDays, minimumDays: number): string[] {
  if (!Number.isFinite(minimumDays) || minimumDays < 0) {
    return [`the minimum log retention must be a number of days, got ${minimumDays}: set minimumLogRetentionDays or the cdk-kms-patterns:minimumLogRetentionDays context value`];
  }
  if (retention === logs.RetentionDays.INFINITE || retention >= minimumDays) return [];
  return [`logRetention of ${retention} days is shorter than the minimum of ${minimumDays} days: keep KMS audit events at least ${minimumDays} days (e.g. logs.RetentionDays.ONE_YEAR), or lower minimumLogRetentionDays if your policy allows`];
}
