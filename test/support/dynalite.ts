/**
 * A real local DynamoDB (dynalite, in-memory) for handler tests, on a free loopback port.
 * dynalite lacks Transact*, PartiQL and TTL; TransactWriteItems of Put members (what the branch key
 * store writes) is answered by a test double (dynalite-transactions.ts).
 */
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, KeySchemaElement, ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { serveTransactWrites } from './dynalite-transactions';

type DynaliteFactory = (options: Record<string, unknown>) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: DynaliteFactory = require('dynalite');

export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A new client for this server (fake credentials). */
  client(): DynamoDBClient;
  /** Creates an on-demand table with a string partition key and an optional string sort key. */
  createTable(name: string, partitionKey: string, sortKey?: string, type?: ScalarAttributeType): Promise<void>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  serveTransactWrites(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' } });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createTable(name, partitionKey, sortKey, type = ScalarAttributeType.S) {
      const keys: KeySchemaElement[] = [{ AttributeName: partitionKey, KeyType: 'HASH' }];
      if (sortKey) keys.push({ AttributeName: sortKey, KeyType: 'RANGE' });
      const c = client();
      await c.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: keys,
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: type })),
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    },
    async stop() {
      clients.forEach((c) => c.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
