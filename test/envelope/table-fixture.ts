/**
 * Shared setup of the table handler tests: a local KMS, dynalite, a table and handlers wired to
 * them with the real SDK clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCodec, CodecOptions } from '../../lambda/envelope/codec';
import { readCodecConfig } from '../../lambda/envelope/config';
import { logger } from '../../lambda/envelope/log';
import { TableAccess, TableConfig } from '../../lambda/envelope/table-config';
import { TableHandler, TableResponse } from '../../lambda/envelope/table-handler';
import { AttributeAction } from '../../src/envelope/attribute-action';
import { LocalDynamoDb, startDynalite } from '../support/dynalite';
import { LocalKmsServer } from '../support/kms-server';

// The handlers' logs are tested in table-faults.test.ts; elsewhere they are noise.
logger.setLogLevel('SILENT');

export const PK = 'customer';
export const SK = 'order';

export const ACTIONS = {
  card: AttributeAction.ENCRYPT_AND_SIGN,
  address: AttributeAction.ENCRYPT_AND_SIGN,
  status: AttributeAction.SIGN_ONLY,
  amount: AttributeAction.SIGN_ONLY,
  gsi: AttributeAction.DO_NOTHING,
};

export interface TableFixture {
  readonly kms: LocalKmsServer;
  readonly db: LocalDynamoDb;
  readonly raw: DynamoDBClient;
  readonly keyArn: string;
  /** A handler for `tableName` (default 'orders'), with codec and config overrides. */
  handler(options?: HandlerOptions): TableHandler;
  stop(): Promise<void>;
}

export interface HandlerOptions {
  readonly tableName?: string;
  readonly access?: TableAccess;
  readonly codec?: Partial<CodecOptions>;
  readonly dynamodb?: DynamoDBClient;
}

export async function startTableFixture(tables: string[] = ['orders', 'invoices']): Promise<TableFixture> {
  const [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  await Promise.all(tables.map((t) => db.createTable(t, PK, SK)));
  const keyArn = kms.createKey();
  const raw = db.client();
  return {
    kms,
    db,
    raw,
    keyArn,
    handler(options = {}) {
      const config: TableConfig = {
        access: options.access ?? 'READ_WRITE',
        codec: readCodecConfig({ ENVELOPE_KEY_ARN: keyArn }),
        schema: {
          tableName: options.tableName ?? 'orders',
          partitionKey: PK,
          sortKey: SK,
          actions: new Map(Object.entries(ACTIONS)),
          defaultAction: AttributeAction.ENCRYPT_AND_SIGN,
        },
      };
      const codec = createCodec({ keyArn, kms: kms.client({ maxAttempts: 2 }), ...options.codec });
      return new TableHandler({ config, codec, dynamodb: options.dynamodb ?? raw });
    },
    async stop() {
      await Promise.all([kms.stop(), db.stop()]);
    },
  };
}

/** Asserts a successful response and returns it. */
export function ok(response: TableResponse): Extract<TableResponse, { ok: true }> {
  if (!response.ok) throw new Error(`expected ok, got ${JSON.stringify(response.error)}`);
  return response;
}

/** Asserts an error response with this code. */
export function expectError(response: TableResponse, code: string): void {
  expect(response).toMatchObject({ ok: false, error: { code } });
}
