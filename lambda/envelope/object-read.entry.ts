/**
 * Lambda entry of the streaming read function (function URL, IAM auth, RESPONSE_STREAM). In the
 * Lambda runtime the `awslambda` global provides response streaming; elsewhere (local tools) the
 * handler falls back to a buffered response.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { bucketDepsFromEnv } from './bucket-env';
import { bufferedReadRequest, handleReadRequest } from './object-read';

/** The Lambda runtime's global (typed by @types/aws-lambda); absent outside Lambda. */
const runtime = (globalThis as unknown as { awslambda?: typeof awslambda }).awslambda;

export const handler = runtime
  ? runtime.streamifyResponse<LambdaFunctionURLEvent>((event, responseStream) =>
    handleReadRequest(bucketDepsFromEnv, event, responseStream, (stream, head) => runtime.HttpResponseStream.from(stream, { ...head })))
  : (event: LambdaFunctionURLEvent) => bufferedReadRequest(bucketDepsFromEnv, event);
