import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { validationError } from '../errors';

/** The fixed end of every XKS proxy URI path (XKS Proxy API specification, v1). */
export const XKS_API_PATH = '/kms/xks/v1';

/** The spec's limit on the whole `XksProxyUriPath`. */
const MAX_URI_PATH_LENGTH = 128;
/** `/segment` repeated, segments of a-z A-Z 0-9 - _ (the spec's character set), or nothing. */
const URI_PATH_PREFIX = /^(\/[A-Za-z0-9_-]+)*$/;
/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** An externalKeyId: the spec's character set and length. */
const EXTERNAL_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Throws an error that names the construct path, what is wrong and how to fix it. */
export function fail(scope: IConstruct, problem: string, fix: string): never {
  throw validationError(scope, [`${problem}. ${fix}`]);
}

/** Returns `[/<prefix>]/kms/xks/v1`, or throws if the prefix breaks the spec's rules. */
export function uriPathFor(scope: IConstruct, prefix: string): string {
  if (Token.isUnresolved(prefix) || !URI_PATH_PREFIX.test(prefix)) {
    fail(scope, `uriPathPrefix '${prefix}' is not a valid XKS URI path prefix`,
      'Use "" or "/segment[/segment...]" with only a-z, A-Z, 0-9, "-" and "_", no trailing "/", known at synth time (e.g. "/keystores/prod").');
  }
  const uriPath = `${prefix}${XKS_API_PATH}`;
  if (uriPath.length > MAX_URI_PATH_LENGTH) {
    fail(scope, `the XKS URI path '${uriPath}' has ${uriPath.length} characters, more than the ${MAX_URI_PATH_LENGTH} the XKS spec allows`,
      `Shorten uriPathPrefix to at most ${MAX_URI_PATH_LENGTH - XKS_API_PATH.length} characters.`);
  }
  return uriPath;
}

/** Checks that `name` is a DNS name inside `zoneName` (when both are known at synth time). */
export function validatePrivateDnsName(scope: IConstruct, name: string, zoneName: string): void {
  if (Token.isUnresolved(name)) {
    fail(scope, 'privateDnsName must be known at synth time', 'Pass a literal host name such as "xks.example.com".');
  }
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) {
    fail(scope, `privateDnsName '${name}' is not a valid lower-case DNS host name`,
      'Use a name such as "xks.example.com": labels of a-z, 0-9 and inner "-", at most 63 characters each.');
  }
  if (Token.isUnresolved(zoneName)) return;
  const zone = zoneName.replace(/\.$/, '').toLowerCase();
  if (name !== zone && !name.endsWith(`.${zone}`)) {
    fail(scope, `privateDnsName '${name}' is not inside the hosted zone '${zone}'`,
      'Pass the public hosted zone that holds the name, so the domain verification record can be created there.');
  }
}

/** Checks the allow-list of external key ids the proxy serves. */
export function validateExternalKeyIds(scope: IConstruct, keyIds: string[]): void {
  if (keyIds.length === 0) {
    fail(scope, 'externalKeyIds is empty', 'List the labels of the AES-256 keys on the HSM token that this proxy may use.');
  }
  const bad = keyIds.filter((id) => Token.isUnresolved(id) || !EXTERNAL_KEY_ID.test(id));
  if (bad.length > 0) {
    fail(scope, `externalKeyIds ${bad.map((id) => `'${id}'`).join(', ')} are not valid XKS external key ids`,
      'Use 1 to 128 characters of a-z, A-Z, 0-9, ".", "-" and "_", known at synth time.');
  }
}

/** Checks the task-count range: at least two tasks, so the proxy runs in two Availability Zones. */
export function validateCapacity(scope: IConstruct, min: number, max: number): void {
  if (!Number.isInteger(min) || min < 2) {
    fail(scope, `minCapacity is ${min}`, 'Use at least 2, so a proxy task runs in each of two Availability Zones.');
  }
  if (!Number.isInteger(max) || max < min) {
    fail(scope, `maxCapacity (${max}) is smaller than minCapacity (${min})`, 'Set maxCapacity to minCapacity or more.');
  }
}

/** Checks that the chosen subnets span at least two Availability Zones. */
export function validateAvailabilityZones(scope: IConstruct, zones: string[]): void {
  const distinct = new Set(zones);
  if (distinct.size < 2) {
    fail(scope, `the proxy subnets span ${distinct.size} Availability Zone(s)`,
      'AWS KMS requires the VPC endpoint service in at least two Availability Zones: choose subnets (or a VPC with maxAzs) in two or more.');
  }
}

/** Checks the HSM token label (PKCS#11: at most 32 characters) and the health-check key label. */
export function validateTokenLabels(scope: IConstruct, tokenLabel: string, healthKeyLabel: string): void {
  if (Token.isUnresolved(tokenLabel) || tokenLabel.length < 1 || tokenLabel.length > 32) {
    fail(scope, `tokenLabel '${tokenLabel}' is not a PKCS#11 token label`, 'Use 1 to 32 characters, known at synth time.');
  }
  if (Token.isUnresolved(healthKeyLabel) || !EXTERNAL_KEY_ID.test(healthKeyLabel)) {
    fail(scope, `healthKeyLabel '${healthKeyLabel}' is not a valid key label`,
      'Use 1 to 128 characters of a-z, A-Z, 0-9, ".", "-" and "_", known at synth time.');
  }
}
