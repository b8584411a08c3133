/** Lambda entry of the intake function (S3 event notifications on the intake prefix). */
import type { S3Event } from 'aws-lambda';
import { bucketDepsFromEnv } from './bucket-env';
import { handleIntakeEvent, IntakeResult } from './object-intake';

export async function handler(event: S3Event): Promise<IntakeResult[]> {
  return handleIntakeEvent(bucketDepsFromEnv(), event);
}
