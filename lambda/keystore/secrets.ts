/**
 * Secrets the handler reads at run time (the XKS SigV4 credential, the kmsuser password). Values
 * are checked here with messages that name the secret, never its value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KeyStoreError } from './errors';

/** Reads a secret's string value by ARN. */
export type SecretReader = (secretArn: string) => Promise<string>;

export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (secretArn) => {
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (answer.SecretString === undefined) throw new KeyStoreError(`secret ${secretArn} has no string value: store it as text (JSON for the XKS credential)`, false);
      return answer.SecretString;
    } catch (error) {
      if (error instanceof KeyStoreError) throw error;
      const name = error instanceof Error ? error.name : 'Error';
      throw new KeyStoreError(`reading secret ${secretArn} failed with ${name}: check that it exists and that the handler role may read it (and decrypt it with its KMS key)`,
        name === 'ThrottlingException' || name === 'InternalServiceError', { cause: error });
    }
  };
}

export interface XksCredential {
  readonly AccessKeyId: string;
  readonly RawSecretAccessKey: string;
}

const ACCESS_KEY_ID = /^[A-Z2-7]{20,30}$/;
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/=]{43,64}$/;

/** The XKS credential from a secret whose JSON has `accessKeyId` and `secretAccessKey`. */
export async function readXksCredential(read: SecretReader, secretArn: string): Promise<XksCredential> {
  const text = await read(secretArn);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyStoreError(`secret ${secretArn} is not JSON: store {"accessKeyId": "...", "secretAccessKey": "..."}`, false);
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const accessKeyId = record.accessKeyId;
  const secretAccessKey = record.secretAccessKey;
  if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
    throw new KeyStoreError(`secret ${secretArn}: accessKeyId must be 20 to 30 characters of A-Z and 2-7 (XKS spec)`, false);
  }
  if (typeof secretAccessKey !== 'string' || !SECRET_ACCESS_KEY.test(secretAccessKey)) {
    throw new KeyStoreError(`secret ${secretArn}: secretAccessKey must be 43 to 64 characters of A-Z, a-z, 0-9, +, / and = (XKS spec)`, false);
  }
  return { AccessKeyId: accessKeyId, RawSecretAccessKey: secretAccessKey };
}

/** The kmsuser password: the secret's whole value (7 to 32 characters, as KMS requires). */
export async function readKmsUserPassword(read: SecretReader, secretArn: string): Promise<string> {
  const password = await read(secretArn);
  if (password.length < 7 || password.length > 32) {
    throw new KeyStoreError(`secret ${secretArn}: the kmsuser password must be 7 to 32 characters (KMS KeyStorePassword)`, false);
  }
  return password;
}
