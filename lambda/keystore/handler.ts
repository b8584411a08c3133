/**
 * One function serves a store and the keys inside it: onEvent and isComplete dispatch on the
 * resource type. Failures become a KeyStoreError whose message is the deploy's error (no stack
 * trace, no secret), logged as one JSON line with the request and resource ids only.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { KeyStoreError } from './errors';
import { IsCompleteRequest, IsCompleteResponse, OnEventResponse, ResourceEvent } from './events';
import { KeyHandler } from './key';
import { KEY_RESOURCE_TYPE, STORE_RESOURCE_TYPE } from './properties';
import { SecretReader } from './secrets';
import { StoreHandler } from './store';

export interface HandlerDeps {
  readonly kms: KMSClient;
  readonly readSecret: SecretReader;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where log lines go (default: stdout as JSON). */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface Handlers {
  onEvent(event: ResourceEvent): Promise<OnEventResponse>;
  isComplete(event: IsCompleteRequest): Promise<IsCompleteResponse>;
}

function jsonLog(message: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ level: 'info', message, ...fields })}\n`);
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const log = deps.log ?? jsonLog;
  const stores = new StoreHandler({ ...deps, log });
  const keys = new KeyHandler({ ...deps, log });

  async function guarded<T>(event: ResourceEvent, step: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const known = error instanceof KeyStoreError;
      log('failed', { step, requestType: event.RequestType, resource: event.LogicalResourceId, retryable: known ? error.retryable : true, errorClass: error instanceof Error ? error.name : 'unknown' });
      if (known) throw new Error(`${error.message}${error.retryable ? ' (retrying the deploy may help)' : ''}`);
      throw new Error(`unexpected ${error instanceof Error ? error.name : 'error'} in the key store handler: see its log; retrying the deploy may help`);
    }
  }

  return {
    onEvent: (event) => guarded(event, 'onEvent', () => {
      if (event.ResourceType === STORE_RESOURCE_TYPE) return stores.onEvent(event);
      if (event.ResourceType === KEY_RESOURCE_TYPE) return keys.onEvent(event);
      throw new KeyStoreError(`unknown resource type ${event.ResourceType}`, false);
    }),
    isComplete: (event) => guarded(event, 'isComplete', async () => {
      if (event.ResourceType === STORE_RESOURCE_TYPE) return stores.isComplete(event);
      return { IsComplete: true };
    }),
  };
}
