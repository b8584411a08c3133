/** The Lambda entry of the key-store handler (bundled to assets/keystore/handler/index.js). */
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IsCompleteRequest, ResourceEvent } from './events';
import { createHandlers } from './handler';
import { secretsManagerReader } from './secrets';

const handlers = createHandlers({ kms: new KMSClient({}), readSecret: secretsManagerReader(new SecretsManagerClient({})) });

export const onEvent = (event: ResourceEvent) => handlers.onEvent(event);
export const isComplete = (event: IsCompleteRequest) => handlers.isComplete(event);
