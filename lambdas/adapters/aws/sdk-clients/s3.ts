import { S3Client } from '@aws-sdk/client-s3';
import { clientFor, endpointOverride } from './cache';

/** Emulators serve buckets under their own host name, not `<bucket>.<host>`: path-style there. */
export const s3Client = (region: string) =>
  clientFor(S3Client, region, { forcePathStyle: endpointOverride('S3') !== undefined });
