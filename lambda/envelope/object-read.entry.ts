/**
 * Lambda entry of the streaming read function (function URL, IAM auth, RESPONSE_STREAM). In the
 * Lambda runtime the `awslambda` global provides response streaming; elsewhere (local tools) the
 * handler falls back to a buffered response.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { bucketDepsFromEnv } from './bucket-env';
import { bufferedReadRequest, handleReadRequest } from './object-read';

/**
 * The Lambda runtime's global (typed by @types/aws-lambda). Outside Lambda it may still exist
 * without streaming (@aws/lambda-invoke-store creates an empty one), hence the function check.
 */
const runtime = (globalThis as unknown as { awslambda?: Partial<typeof awslambda> }).awslambda;
const streaming = typeof runtime?.streamifyResponse === 'function' ? (runtime as typeof awslambda) : undefined;

export const handler = streaming
  ? streaming.streamifyResponse<LambdaFunctionURLEvent>((event, responseStream) =>
    handleReadRequest(bucketDepsFromEnv, event, responseStream, (stream, head) => streaming.HttpResponseStream.from(stream, { ...head })))
  : (event: LambdaFunctionURLEvent) => bufferedReadRequest(bucketDepsFromEnv, event);
