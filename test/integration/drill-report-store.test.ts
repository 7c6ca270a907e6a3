import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../lambdas/adapters/aws/clients';
import { storeDrillReport } from '../../lambdas/adapters/aws/drill-report-store';
import { drillReportBucketName, drillReportPrefix } from '../../lambdas/core/drill/runbook-states';
import { createDrillReportBucket } from '../support/drill-report-bucket';
import { useMoto } from '../support/moto';

useMoto();

const REGION = 'us-east-1';

describe('the drill report store (real SDK against moto)', () => {
  it('stores each file under the execution, locked by the bucket default retention', async () => {
    const bucket = drillReportBucketName({ name: 'acme' }, '123456789012');
    const s3 = s3Client(REGION);
    await createDrillReportBucket(REGION, bucket, 365);
    const prefix = drillReportPrefix('drill-2026-06-01T10-00-00-000Z-abcd1234');
    const stored = await storeDrillReport(REGION, bucket, [
      {
        key: `${prefix}drill-report.md`,
        body: '# drpilot drill: runbook\n',
        contentType: 'text/markdown',
      },
      {
        key: `${prefix}drill-result.json`,
        body: '{"ok":false}\n',
        contentType: 'application/json',
      },
    ]);
    expect(stored).toEqual([
      `s3://${bucket}/${prefix}drill-report.md`,
      `s3://${bucket}/${prefix}drill-result.json`,
    ]);
    const read = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${prefix}drill-report.md` }),
    );
    expect(await read.Body?.transformToString()).toBe('# drpilot drill: runbook\n');
    expect(read.ObjectLockMode).toBe('GOVERNANCE');
    console.log(`locked until ${read.ObjectLockRetainUntilDate?.toISOString()}`);

    // Deleting the locked version without the bypass is refused: the report stays.
    const [version] =
      (
        await s3.send(
          new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}drill-report.md` }),
        )
      ).Versions ?? [];
    await expect(
      s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: `${prefix}drill-report.md`,
          VersionId: version?.VersionId,
        }),
      ),
    ).rejects.toThrow();
  });
});
