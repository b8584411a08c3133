/**
 * dynalite has no TransactWriteItems, which the AWS Encryption SDK's branch key store uses to write
 * a new branch key (CreateKey) or version (VersionKey). This test double covers that one call only:
 * a client middleware that runs each Put of the transaction as a conditional PutItem, in order, on
 * the same dynalite. Everything else (GetItem reads of branch keys, the envelope's own items) goes to
 * dynalite unchanged. Not emulated: atomicity across the Puts (a failed condition after the first
 * Put leaves the earlier ones written) and the other transaction members (Update, Delete,
 * ConditionCheck), which the branch key store does not use.
 */
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';

export function emulateTransactWrites(client: DynamoDBClient): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      const input = args.input as TransactWriteItemsCommandInput;
      for (const item of input.TransactItems ?? []) {
        if (!item.Put || item.Update || item.Delete || item.ConditionCheck) {
          throw new Error('emulateTransactWrites handles Put members only');
        }
        await client.send(new PutItemCommand(item.Put));
      }
      return { output: { $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'emulateTransactWrites' },
  );
  return client;
}
