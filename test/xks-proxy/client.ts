/**
 * An XKS test client: requests signed with the real @smithy/signature-v4 (the AWS SDK's signer),
 * so the proxy's verifier is checked against an independent implementation.
 */
import { createHash, createHmac, Hash, Hmac } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
// A dependency of the AWS SDK clients in devDependencies: the signer every AWS SDK request uses.
// eslint-disable-next-line import/no-extraneous-dependencies
import { SignatureV4 } from '@smithy/signature-v4';

export const REGION = 'eu-west-1';

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 in the shape the signer expects (it only needs the primitives). */
class NodeSha256 {
  private hash!: Hash | Hmac;

  private readonly secret?: Buffer | string;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : toBuffer(secret);
    this.reset();
  }

  public update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }

  public async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  public reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

export interface TestCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignOptions {
  readonly credential: TestCredential;
  readonly region?: string;
  readonly service?: string;
  readonly signingDate?: Date;
}

export interface XksResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly json: any;
}

export interface ClientTarget {
  readonly port: number;
  readonly tls?: https.RequestOptions;
}

/** Changes a signed request before it is sent. */
export type RequestMutation = (request: { headers: Record<string, string>; body: string }) => void;

export interface RequestOptions {
  readonly method?: string;
  /** Signs with these settings; omit to send an unsigned request. */
  readonly sign?: SignOptions;
  /** Changes the request after signing (tampering tests). */
  readonly mutate?: RequestMutation;
  readonly agent?: http.Agent;
}

/** Sends one request to the proxy and parses the JSON answer. */
export async function xksRequest(target: ClientTarget, path: string, body: unknown, options: RequestOptions = {}): Promise<XksResponse> {
  const method = options.method ?? 'POST';
  const request = {
    method,
    protocol: target.tls ? 'https:' : 'http:',
    hostname: 'localhost',
    port: target.port,
    path,
    headers: { 'host': `localhost:${target.port}`, 'content-type': 'application/json' } as Record<string, string>,
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  };
  if (options.sign) {
    const signer = new SignatureV4({
      credentials: options.sign.credential,
      region: options.sign.region ?? REGION,
      service: options.sign.service ?? 'kms-xks-proxy',
      sha256: NodeSha256,
    });
    const signed = await signer.sign(request, { signingDate: options.sign.signingDate });
    request.headers = signed.headers as Record<string, string>;
  }
  options.mutate?.(request);
  const transport = target.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request({
      ...target.tls,
      host: '127.0.0.1',
      servername: 'localhost',
      port: target.port,
      path,
      method,
      headers: request.headers,
      agent: options.agent,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A requestMetadata like the one KMS sends. */
export function requestMetadata(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    awsPrincipalArn: 'arn:aws:iam::111122223333:role/App',
    kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    kmsOperation: 'Encrypt',
    kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
    ...overrides,
  };
}
