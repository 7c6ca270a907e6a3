import { CreateBucketCommand, PutObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../lambdas/adapters/aws/clients';

/**
 * The drill report bucket as lib/drill-runbook.ts creates it: Object Lock on, a governance
 * default retention of `retentionDays`.
 */
export async function createDrillReportBucket(
  region: string,
  bucket: string,
  retentionDays: number,
): Promise<void> {
  const s3 = s3Client(region);
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: retentionDays } },
      },
    }),
  );
}
