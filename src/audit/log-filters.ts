/**
 * CloudWatch Logs filter patterns over the CloudTrail records a trail delivers to its log group
 * (pure strings, no constructs). The records are JSON, so the patterns use the JSON syntax
 * `{ ($.field = value) && ... }`.
 */

/** KMS calls denied by a key policy, IAM policy, grant or SCP (`AccessDenied`, `AccessDeniedException`). */
export const DENIED_KMS_CALLS_PATTERN = '{ ($.eventSource = "kms.amazonaws.com") && ($.errorCode = "AccessDenied*") }';

/**
 * CIS AWS Foundations Benchmark 4.7 (3.7 in v1.x): a customer managed key was disabled or
 * scheduled for deletion.
 */
export const CIS_4_7_PATTERN = '{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) }';

/**
 * Successful calls naming one key first in `resources` (every cryptographic operation, and every
 * key operation except alias operations, whose first resource is the alias).
 */
export function successfulKeyCallsPattern(keyArn: string): string {
  return `{ ($.eventSource = "kms.amazonaws.com") && ($.errorCode NOT EXISTS) && ($.resources[0].ARN = "${keyArn}") }`;
}

/** Denied calls on one key. */
export function deniedKeyCallsPattern(keyArn: string): string {
  return `{ ($.eventSource = "kms.amazonaws.com") && ($.errorCode = "AccessDenied*") && ($.resources[0].ARN = "${keyArn}") }`;
}
