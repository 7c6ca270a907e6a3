import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from './sdk-clients/s3';

export interface ReportFile {
  key: string;
  body: string;
  contentType: string;
}

/**
 * Stores a drill report's files. The bucket has Object Lock with a default retention, and S3
 * requires an integrity checksum on every PutObject into such a bucket ("Content-MD5 or
 * x-amz-sdk-checksum-algorithm header is required", S3 User Guide, Object Lock): SHA-256 here.
 */
export async function storeDrillReport(
  region: string,
  bucket: string,
  files: readonly ReportFile[],
): Promise<string[]> {
  for (const file of files) {
    await s3Client(region).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: file.key,
        Body: file.body,
        ContentType: file.contentType,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }
  return files.map((f) => `s3://${bucket}/${f.key}`);
}
