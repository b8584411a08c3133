/**
 * Synth-time checks of custom key store and key props; each problem says what is wrong and the fix.
 */
import { Token } from 'aws-cdk-lib';
import { XKS_API_PATH } from '../xks/validation';

const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/;
const URI_PATH = /^(\/[A-Za-z0-9_-]+)*\/kms\/xks\/v1$/;
const XKS_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;
const CLUSTER_ID = /^cluster-[2-7a-zA-Z]{11,16}$/;

export function uriEndpointProblems(uriEndpoint: string): string[] {
  if (Token.isUnresolved(uriEndpoint)) return [];
  const match = /^https:\/\/([^/:?#]+)$/.exec(uriEndpoint);
  if (!match) {
    return [`uriEndpoint '${uriEndpoint}' must be https:// followed by a host name only, no port or path ` +
      '(e.g. https://xks.example.com; KMS always calls port 443, and the path goes in uriPath)'];
  }
  if (!DNS_NAME.test(match[1])) return [`uriEndpoint '${uriEndpoint}' has no valid DNS host name: use a name such as https://xks.example.com`];
  return [];
}

export function uriPathProblems(uriPath: string): string[] {
  if (Token.isUnresolved(uriPath)) return [];
  if (!URI_PATH.test(uriPath) || uriPath.length > 128) {
    return [`uriPath '${uriPath}' must be an optional prefix of /segments followed by ${XKS_API_PATH}, at most 128 characters ` +
      `(e.g. /keystores/prod${XKS_API_PATH}; with XksProxy, use its connection)`];
  }
  return [];
}

export function xksKeyIdProblems(xksKeyId: string): string[] {
  if (Token.isUnresolved(xksKeyId)) return [];
  if (!XKS_KEY_ID.test(xksKeyId)) {
    return [`xksKeyId '${xksKeyId}' must be 1 to 128 characters of a-z, A-Z, 0-9, '.', '-' and '_' (the label of the key on the HSM)`];
  }
  return [];
}

export function clusterIdProblems(clusterId: string): string[] {
  if (Token.isUnresolved(clusterId)) return [];
  if (!CLUSTER_ID.test(clusterId)) return [`clusterId '${clusterId}' is not a CloudHSM cluster id: it looks like cluster-2a23b4cdefg (letters and the digits 2-7)`];
  return [];
}

export function trustAnchorProblems(certificate: string | undefined): string[] {
  if (certificate === undefined || (!Token.isUnresolved(certificate) && certificate.trim() === '')) {
    return ['the trust anchor certificate is missing: pass the contents of the customerCA.crt file that initialized the cluster (PEM)'];
  }
  if (!Token.isUnresolved(certificate) && !certificate.includes('-----BEGIN CERTIFICATE-----')) {
    return ['trustAnchorCertificate is not a PEM certificate: pass the contents of customerCA.crt (-----BEGIN CERTIFICATE----- ...)'];
  }
  return [];
}
