/** Lambda entry of the inline put/get function (invoke, JSON in and out). */
import { bucketDepsFromEnv } from './bucket-env';
import { handleInlineRequest, InlineResponse } from './bucket-inline';
import { objectErrorResponse } from './object-errors';

export async function handler(event: unknown): Promise<InlineResponse> {
  let deps;
  try {
    deps = bucketDepsFromEnv();
  } catch (err) {
    return objectErrorResponse(err);
  }
  return handleInlineRequest(deps, event);
}
