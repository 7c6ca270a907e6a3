import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * moto ignores `x-amz-copy-source-if-match`; S3 answers 412 PreconditionFailed when the source's
 * ETag differs (CopyObject and UploadPartCopy). This middleware encodes that rule in front of
 * moto: it reads the source's current ETag and refuses the copy the way S3 does.
 */
export function enforceCopySourceIfMatch(s3: S3Client, region: string): void {
  const probe = new S3Client({ region, forcePathStyle: true });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { CopySource?: string; CopySourceIfMatch?: string };
      const isCopy = ['CopyObjectCommand', 'UploadPartCopyCommand'].includes(
        context.commandName ?? '',
      );
      if (isCopy && input.CopySource && input.CopySourceIfMatch) {
        const [bucket, ...key] = input.CopySource.split('/');
        const head = await probe.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key.map(decodeURIComponent).join('/') }),
        );
        if (head.ETag?.replace(/"/g, '') !== input.CopySourceIfMatch.replace(/"/g, '')) {
          throw Object.assign(
            new Error('At least one of the pre-conditions you specified did not hold'),
            {
              name: 'PreconditionFailed',
              $metadata: { httpStatusCode: 412 },
            },
          );
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'copySourceIfMatchFake' },
  );
}
