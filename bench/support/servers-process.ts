/**
 * The local KMS server and dynalite in a child process, for benchmarks: their request handling
 * (and its CPU time) is then not part of the measured process, as a real KMS and DynamoDB are not
 * part of a Lambda function. Every side of a benchmark still pays the client's own work (signing,
 * HTTP, parsing) and the round trip.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, KeySchemaElement, ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';

interface Ready {
  readonly kmsEndpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly dynamoEndpoint: string;
}

export interface ServersProcess {
  readonly region: string;
  readonly kmsEndpoint: string;
  readonly credentials: Ready['credentials'];
  /** A KMS client wired to the child's server. */
  kmsClient(config?: KMSClientConfig): KMSClient;
  /** A DynamoDB client wired to the child's dynalite. */
  dynamoClient(): DynamoDBClient;
  createKey(): Promise<string>;
  createTable(name: string, partitionKey: string, sortKey?: string): Promise<void>;
  /** Adds this much latency to every KMS response. */
  setLatency(ms: number): Promise<void>;
  resetCalls(): Promise<void>;
  /** KMS requests since the last reset. */
  totalCalls(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServersProcess(): Promise<ServersProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'servers-child.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 0;
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the servers process exited (${code}) before it was ready`)));
    child.on('message', (message: { ready?: Ready; id?: number; value?: unknown }) => {
      if (message.ready) {resolve(message.ready);} else if (message.id !== undefined) {
        pending.get(message.id)?.(message.value);
        pending.delete(message.id);
      }
    });
  });
  const call = <T>(op: string, extra: object = {}) => new Promise<T>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve as (value: unknown) => void);
    child.send({ id, op, ...extra });
  });
  const dynamoClients: DynamoDBClient[] = [];
  const dynamoClient = () => {
    const client = new DynamoDBClient({ region: ready.region, endpoint: ready.dynamoEndpoint, credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' } });
    dynamoClients.push(client);
    return client;
  };
  return {
    region: ready.region,
    kmsEndpoint: ready.kmsEndpoint,
    credentials: ready.credentials,
    kmsClient: (config = {}) => new KMSClient({ region: ready.region, endpoint: ready.kmsEndpoint, credentials: ready.credentials, ...config }),
    dynamoClient,
    createKey: () => call<string>('createKey'),
    async createTable(name, partitionKey, sortKey) {
      const keys: KeySchemaElement[] = [{ AttributeName: partitionKey, KeyType: 'HASH' }];
      if (sortKey) keys.push({ AttributeName: sortKey, KeyType: 'RANGE' });
      await dynamoClient().send(new CreateTableCommand({
        TableName: name,
        KeySchema: keys,
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: ScalarAttributeType.S })),
        BillingMode: 'PAY_PER_REQUEST',
      }));
    },
    setLatency: (ms) => call<void>('setLatency', { ms }),
    resetCalls: () => call<void>('resetCalls'),
    totalCalls: () => call<number>('totalCalls'),
    async stop() {
      dynamoClients.forEach((c) => c.destroy());
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call<void>('stop');
      const timer = setTimeout(() => child.kill(), 2000); // it should exit by itself
      await exited;
      clearTimeout(timer);
    },
  };
}
