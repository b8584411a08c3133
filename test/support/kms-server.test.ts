/**
 * The local KMS server through the real SDK client: each operation, the wire-protocol errors the
 * envelope tests rely on, and the call counter.
 */
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { LocalKmsServer } from './kms-server';

let kms: LocalKmsServer;
let client: KMSClient;
beforeAll(async () => {
  kms = await LocalKmsServer.start();
  client = kms.client({ maxAttempts: 1 });
});
afterAll(() => kms.stop());

const context = { table: 'orders' };

async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => 'no error', (err: Error) => err.name);
}

test('DescribeKey reports the key, its state and multi-Region flag', async () => {
  const arn = kms.createKey({ multiRegion: true, description: 'test' });
  const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: arn }));
  expect(KeyMetadata).toMatchObject({ Arn: arn, Enabled: true, KeyState: 'Enabled', MultiRegion: true, KeySpec: 'SYMMETRIC_DEFAULT', Description: 'test' });
  expect(KeyMetadata!.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
});

test('GenerateDataKey and Decrypt: the blob opens only with the same context', async () => {
  const arn = kms.createKey();
  const dataKey = await client.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32, EncryptionContext: context }));
  expect(dataKey.Plaintext).toHaveLength(32);
  expect(dataKey.KeyId).toBe(arn);
  const opened = await client.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }));
  expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
  expect(await errorName(client.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { table: 'other' } })))).toBe('InvalidCiphertextException');
  expect(await errorName(client.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob })))).toBe('InvalidCiphertextException');
  const other = kms.createKey();
  expect(await errorName(client.send(new DecryptCommand({ KeyId: other, CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context })))).toBe('IncorrectKeyException');
});

test('Encrypt and Decrypt round trip', async () => {
  const arn = kms.createKey();
  const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('hello'), EncryptionContext: context }));
  const { Plaintext, KeyId } = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  expect(Buffer.from(Plaintext!).toString()).toBe('hello');
  expect(KeyId).toBe(arn);
});

test('unknown and disabled keys, keys of another Region', async () => {
  const arn = kms.createKey();
  expect(await errorName(client.send(new GenerateDataKeyCommand({ KeyId: arn.replace(/key\/.*/, 'key/nope'), NumberOfBytes: 32 })))).toBe('NotFoundException');
  expect(await errorName(client.send(new GenerateDataKeyCommand({ KeyId: arn.replace('us-east-1', 'eu-west-1'), NumberOfBytes: 32 })))).toBe('NotFoundException');
  kms.disableKey(arn);
  expect(await errorName(client.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32 })))).toBe('DisabledException');
  expect((await client.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
});

test('injected throttling and the call counter', async () => {
  const arn = kms.createKey();
  kms.resetCalls();
  kms.throttle(1, ['GenerateDataKey']);
  expect(await errorName(client.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32 })))).toBe('ThrottlingException');
  await client.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32 }));
  await client.send(new DescribeKeyCommand({ KeyId: arn }));
  expect(kms.calls).toMatchObject({ GenerateDataKey: 2, Encrypt: 0, Decrypt: 0, DescribeKey: 1, ReEncrypt: 0 });
  expect(kms.totalCalls).toBe(3);
});

test('an unsigned request is refused', async () => {
  const response = await fetch(kms.endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': 'TrentService.DescribeKey', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ KeyId: kms.createKey() }),
  });
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
});
