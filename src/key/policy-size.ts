/**
 * The size of a key policy as KMS counts it: the characters of the policy document after
 * CloudFormation has substituted every intrinsic function. At synth time some values are still
 * intrinsics, so each one is replaced by a stand-in of the length its value will realistically have.
 */
import { textOf } from '../lint/template';

/** The key-policy size limit of KMS. */
export const KEY_POLICY_MAX_BYTES = 32_768;

const PSEUDO_PARAMETER_LENGTH: Record<string, number> = {
  'AWS::AccountId': 12,
  'AWS::Partition': 10, // aws, aws-cn, aws-us-gov, aws-iso-b ...
  'AWS::Region': 14,
  'AWS::URLSuffix': 16,
  'AWS::StackName': 64,
};

/** A generated resource ARN (a role with a CDK-generated name is about this long). */
const RESOURCE_VALUE_LENGTH = 96;

/** Substitutes intrinsics in a resolved CloudFormation value with stand-ins of realistic length. */
export function withIntrinsicStandIns(value: any): any {
  if (Array.isArray(value)) return value.map(withIntrinsicStandIns);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = value[fn];
    if (fn === 'Ref') return 'x'.repeat(standInLength(arg));
    if (fn === 'Fn::GetAtt' || fn === 'Fn::ImportValue' || fn === 'Fn::Select' || fn === 'Fn::If') {
      return 'x'.repeat(RESOURCE_VALUE_LENGTH);
    }
    if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
      // Untrusted input may give any value as the delimiter or a part: each counts as its text.
      const delimiter = typeof arg[0] === 'string' ? arg[0] : textOf(arg[0]);
      return arg[1].map((part: any) => textOf(withIntrinsicStandIns(part))).join(delimiter);
    }
    if (fn === 'Fn::Sub') {
      // A template from anywhere (lint reads untrusted input): anything but a string is one value.
      const template: unknown = Array.isArray(arg) ? arg[0] : arg;
      if (typeof template !== 'string') return 'x'.repeat(RESOURCE_VALUE_LENGTH);
      return template.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => 'x'.repeat(standInLength(name)));
    }
  }
  return Object.fromEntries(keys.map((k) => [k, withIntrinsicStandIns(value[k])]));
}

/** The length of a stand-in for a `Ref` or `${name}`: a pseudo parameter's own member only. */
function standInLength(name: unknown): number {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PSEUDO_PARAMETER_LENGTH, name)
    ? PSEUDO_PARAMETER_LENGTH[name]
    : RESOURCE_VALUE_LENGTH;
}

/** The size in bytes KMS will count for this resolved policy document. */
export function keyPolicySize(resolvedPolicy: any): number {
  return Buffer.byteLength(JSON.stringify(withIntrinsicStandIns(resolvedPolicy)), 'utf8');
}

/** Statement ids (or indexes) with their sizes, biggest first. */
export function biggestStatements(resolvedPolicy: any, count: number): string[] {
  const statements: any[] = resolvedPolicy?.Statement ?? [];
  return statements
    .map((statement, index) => ({ name: statement.Sid ?? `#${index}`, size: keyPolicySize(statement) }))
    .sort((a, b) => b.size - a.size)
    .slice(0, count)
    .map((s) => `${s.name} (${s.size} bytes)`);
}
