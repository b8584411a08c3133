/**
 * dynalite has no TransactWriteItems, which the AWS Encryption SDK's branch key store uses to write
 * a new branch key (CreateKey) or version (VersionKey). This test double covers that one call only,
 * at the HTTP level, so any client (also one a Lambda entry builds itself from
 * `AWS_ENDPOINT_URL_DYNAMODB`) can use it: `startDynalite` answers a TransactWriteItems request by
 * sending each Put member to dynalite as a conditional PutItem, in order, with the request's own
 * headers; when one fails, the earlier ones are undone (each item put back as it was, or deleted),
 * so a cancelled transaction leaves nothing, as in DynamoDB. Everything else goes to dynalite
 * unchanged. Not emulated: isolation from concurrent writers, and the other members (Update, Delete,
 * ConditionCheck), which the branch key store does not use: they are refused.
 */
import { IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'DynamoDB_20120810.';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

interface PutResult { status: number; body: string }

/** Makes `server` (dynalite) answer TransactWriteItems made of Put members. */
export function serveTransactWrites(server: Server): void {
  const [dynalite] = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-amz-target'] !== `${TARGET_PREFIX}TransactWriteItems`) return dynalite(req, res);
    void readBody(req)
      .then((body) => transactPuts(server, req, body))
      .then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(body);
      });
  });
}

type Json = Record<string, unknown>;

async function transactPuts(server: Server, req: IncomingMessage, body: string): Promise<PutResult> {
  const input = JSON.parse(body) as { TransactItems?: Json[] };
  const members = input.TransactItems ?? [];
  if (members.some((m) => Object.keys(m).join() !== 'Put')) {
    return error('ValidationException', 'the TransactWriteItems test double handles Put members only');
  }
  const undo: Array<() => Promise<PutResult>> = [];
  for (const member of members) {
    const put = member.Put as Json;
    const table = put.TableName as string;
    const key = await itemKey(server, req, table, put.Item as Json);
    const before = JSON.parse((await send(server, req, 'GetItem', { TableName: table, Key: key, ConsistentRead: true })).body) as { Item?: Json };
    const written = await send(server, req, 'PutItem', put);
    if (written.status !== 200) {
      for (const step of undo.reverse()) await step();
      const type = (JSON.parse(written.body) as { __type?: string }).__type ?? '';
      if (!type.endsWith('ConditionalCheckFailedException')) return written;
      const reasons = members.map((m) => ({ Code: m === member ? 'ConditionalCheckFailed' : 'None' }));
      return error('TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]', reasons);
    }
    undo.push(() => before.Item
      ? send(server, req, 'PutItem', { TableName: table, Item: before.Item })
      : send(server, req, 'DeleteItem', { TableName: table, Key: key }));
  }
  return { status: 200, body: '{}' };
}

/** The key attributes of an item, by the table's key schema. */
async function itemKey(server: Server, req: IncomingMessage, table: string, item: Json): Promise<Json> {
  const described = JSON.parse((await send(server, req, 'DescribeTable', { TableName: table })).body) as { Table: { KeySchema: Array<{ AttributeName: string }> } };
  return Object.fromEntries(described.Table.KeySchema.map(({ AttributeName }) => [AttributeName, item[AttributeName]]));
}

function error(type: string, message: string, reasons?: unknown[]): PutResult {
  return { status: 400, body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, CancellationReasons: reasons }) };
}

/** One request to dynalite itself, with the caller's signature headers (dynalite checks their form only). */
function send(server: Server, original: IncomingMessage, operation: string, input: Json): Promise<PutResult> {
  const body = JSON.stringify(input);
  const { port } = server.address() as AddressInfo;
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `${TARGET_PREFIX}${operation}`,
    'x-amz-date': original.headers['x-amz-date'] ?? '',
    'authorization': original.headers.authorization ?? '',
    'content-length': Buffer.byteLength(body),
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      void readBody(res).then((text) => resolve({ status: res.statusCode ?? 500, body: text }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function readBody(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
