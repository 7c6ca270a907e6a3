import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface CopyRequest {
  sourceBucket: string;
  sourceKey: string;
  targetBucket: string;
  targetKey: string;
  size: number;
  /** The ETag the plan saw; the copy fails instead of copying a newer version. */
  sourceEtag: string;
}

export interface CopyOptions {
  /** Objects at least this large go through multipart UploadPartCopy (CopyObject stops at 5 GB). */
  multipartThresholdBytes: number;
  partSizeBytes: number;
}

/** S3 parts must be at least 5 MiB, except the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

function copySource(request: CopyRequest): string {
  return `${request.sourceBucket}/${request.sourceKey.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Copies one object server-side with the target bucket's client (cross-region copies run in the
 * target region). A multipart copy that fails is aborted, so no hidden parts are left behind.
 */
export async function copyObject(
  target: S3Client,
  request: CopyRequest,
  options: CopyOptions,
): Promise<void> {
  if (request.size < options.multipartThresholdBytes) {
    await target.send(
      new CopyObjectCommand({
        Bucket: request.targetBucket,
        Key: request.targetKey,
        CopySource: copySource(request),
        CopySourceIfMatch: `"${request.sourceEtag}"`,
      }),
    );
    return;
  }
  const partSize = Math.max(
    options.partSizeBytes,
    MIN_PART_BYTES,
    Math.ceil(request.size / MAX_PARTS),
  );
  const { UploadId } = await target.send(
    new CreateMultipartUploadCommand({ Bucket: request.targetBucket, Key: request.targetKey }),
  );
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, PartNumber = 1; start < request.size; start += partSize, PartNumber++) {
      const end = Math.min(start + partSize, request.size) - 1;
      const { CopyPartResult } = await target.send(
        new UploadPartCopyCommand({
          Bucket: request.targetBucket,
          Key: request.targetKey,
          UploadId,
          PartNumber,
          CopySource: copySource(request),
          CopySourceRange: `bytes=${start}-${end}`,
          CopySourceIfMatch: `"${request.sourceEtag}"`,
        }),
      );
      parts.push({ ETag: CopyPartResult?.ETag ?? '', PartNumber });
    }
    await target.send(
      new CompleteMultipartUploadCommand({
        Bucket: request.targetBucket,
        Key: request.targetKey,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await target
      .send(
        new AbortMultipartUploadCommand({
          Bucket: request.targetBucket,
          Key: request.targetKey,
          UploadId,
        }),
      )
      .catch(() => undefined);
    throw error;
  }
}
