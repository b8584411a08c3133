/**
 * Drives the key-store handlers the way the custom-resource Provider framework does: onEvent, then
 * isComplete with onEvent's answer merged in, polled until it says complete or throws.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { IsCompleteRequest, OnEventResponse, ResourceEvent } from '../../lambda/keystore/events';
import { createHandlers, Handlers } from '../../lambda/keystore/handler';
import { KEY_RESOURCE_TYPE, STORE_RESOURCE_TYPE } from '../../lambda/keystore/properties';
import { LocalCustomKeyStores } from '../support/kms-custom-key-stores';

export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/KeyStores/0c0a9a50-0000-4000-8000-000000000001';

/** Secrets by ARN, as the handler reads them from Secrets Manager. */
export class SecretStandIn {
  readonly values = new Map<string, string>();
  readonly reads: string[] = [];

  reader = async (arn: string): Promise<string> => {
    this.reads.push(arn);
    const value = this.values.get(arn);
    if (value === undefined) throw Object.assign(new Error(`no secret ${arn}`), { name: 'ResourceNotFoundException' });
    return value;
  };
}

export interface Deployment {
  readonly physicalId: string;
  readonly data: Record<string, string>;
  readonly polls: number;
}

export class ProviderDriver {
  readonly handlers: Handlers;
  readonly logs: Array<Record<string, unknown>> = [];
  private clock = 0;

  constructor(kms: KMSClient, readonly secrets: SecretStandIn, private readonly stores?: LocalCustomKeyStores) {
    this.handlers = createHandlers({
      kms,
      readSecret: secrets.reader,
      now: () => this.clock,
      sleep: async () => undefined,
      log: (message, fields) => this.logs.push({ message, ...fields }),
    });
  }

  /** Moves the handler's clock (for time-outs). */
  advance(ms: number): void {
    this.clock += ms;
  }

  async run(event: ResourceEvent, maxPolls = 50, pollAdvanceMs = 30_000): Promise<Deployment> {
    const started: OnEventResponse = await this.handlers.onEvent(event);
    let polls = 0;
    for (;;) {
      await this.stores?.settled();
      polls++;
      const request: IsCompleteRequest = { ...event, PhysicalResourceId: started.PhysicalResourceId, Data: started.Data };
      const answer = await this.handlers.isComplete(request);
      if (answer.IsComplete) return { physicalId: started.PhysicalResourceId, data: { ...started.Data, ...answer.Data }, polls };
      if (polls >= maxPolls) throw new Error(`not complete after ${polls} polls`);
      this.clock += pollAdvanceMs;
    }
  }
}

let requestCounter = 0;

export function storeEvent(
  requestType: ResourceEvent['RequestType'],
  properties: Record<string, unknown>,
  extra: { physicalId?: string; old?: Record<string, unknown>; logicalId?: string } = {},
): ResourceEvent {
  return {
    RequestType: requestType,
    ResourceType: STORE_RESOURCE_TYPE,
    LogicalResourceId: extra.logicalId ?? 'Store',
    StackId: STACK_ID,
    RequestId: `request-${++requestCounter}`,
    PhysicalResourceId: extra.physicalId,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider', ...properties },
    OldResourceProperties: extra.old,
  };
}

export function keyEvent(
  requestType: ResourceEvent['RequestType'],
  properties: Record<string, unknown>,
  extra: { physicalId?: string; old?: Record<string, unknown>; logicalId?: string } = {},
): ResourceEvent {
  return { ...storeEvent(requestType, properties, extra), ResourceType: KEY_RESOURCE_TYPE, LogicalResourceId: extra.logicalId ?? 'Key' };
}

/** A key policy as the construct writes it into the resource's properties. */
export const ROOT_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'AccountRootDelegatesToIam', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
};
