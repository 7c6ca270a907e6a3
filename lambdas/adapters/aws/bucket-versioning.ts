import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { BucketVersioning } from '../../core/resync/deletion-gate';
import type { BucketSide } from './velero-bucket';

/**
 * What GetBucketVersioning says about a bucket. A bucket never versioned answers without a
 * Status (`Disabled`); a failed call (denied, no such bucket) is `unreadable`, which the
 * deletion gate treats as unversioned.
 */
export async function readBucketVersioning(
  side: Pick<BucketSide, 'bucket' | 's3'>,
): Promise<BucketVersioning> {
  try {
    const answer = await side.s3.send(new GetBucketVersioningCommand({ Bucket: side.bucket }));
    const state =
      answer.Status === 'Enabled'
        ? 'Enabled'
        : answer.Status === 'Suspended'
          ? 'Suspended'
          : 'Disabled';
    return { bucket: side.bucket, state };
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { bucket: side.bucket, state: 'unreadable', detail };
  }
}
