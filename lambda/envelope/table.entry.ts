/** Lambda entry point of the EnvelopeEncryptedTable crypto function. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { toErrorResponse } from './errors';
import { logger } from './log';
import { tableCodec } from './table-codec';
import { readTableConfig } from './table-config';
import { TableHandler, TableResponse } from './table-handler';

let handlerOrError: TableHandler | unknown;

/** Built once per cold start; a configuration error is answered on every invoke, clearly. */
function tableHandler(): TableHandler {
  if (handlerOrError === undefined) {
    try {
      const config = readTableConfig(process.env);
      const dynamodb = new DynamoDBClient({});
      handlerOrError = new TableHandler({ config, codec: tableCodec(config, { ddb: dynamodb }), dynamodb });
    } catch (err) {
      logger.error('invalid configuration', { reason: err instanceof Error ? err.message : String(err) });
      handlerOrError = err;
    }
  }
  if (handlerOrError instanceof TableHandler) return handlerOrError;
  throw handlerOrError;
}

export async function handler(event: unknown, context: Context): Promise<TableResponse> {
  logger.addContext(context);
  try {
    return await tableHandler().handle(event);
  } catch (err) {
    return toErrorResponse(err);
  }
}
