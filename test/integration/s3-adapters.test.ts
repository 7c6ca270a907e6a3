import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../lambdas/adapters/aws/clients';
import { copyObject } from '../../lambdas/adapters/aws/s3-copy';
import { listObjects, readTextObject } from '../../lambdas/adapters/aws/s3-objects';
import { enforceCopySourceIfMatch } from '../support/copy-source-if-match-fake';
import { useMoto } from '../support/moto';

useMoto({ env: { MOTO_S3_DEFAULT_MAX_KEYS: '3' } });

const MiB = 1024 * 1024;

async function bucketIn(region: string, name: string): Promise<S3Client> {
  const s3 = s3Client(region);
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      CreateBucketConfiguration: { LocationConstraint: region as never },
    }),
  );
  return s3;
}

async function put(s3: S3Client, bucket: string, key: string, body: string | Buffer) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Fails the nth command of the given name sent through this client, once. */
function failNth(s3: S3Client, commandName: string, n: number): void {
  let seen = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName && ++seen === n) {
        throw Object.assign(new Error(`injected fault on ${commandName} #${n}`), {
          name: 'InternalError',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: `fail-${commandName}-${n}` },
  );
}

describe('S3 adapters against moto', () => {
  it('lists every object across pages (MOTO_S3_DEFAULT_MAX_KEYS=3)', async () => {
    const s3 = await bucketIn('eu-west-1', 'src-bucket');
    for (let i = 0; i < 10; i++) await put(s3, 'src-bucket', `backups/b/${i}.gz`, `body-${i}`);
    await put(s3, 'src-bucket', 'kopia/app/p1', 'pack');
    const listed = await listObjects(s3, 'src-bucket', 'backups/');
    expect(listed.map((o) => o.key).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `backups/b/${i}.gz`).sort(),
    );
    expect(listed[0]).toMatchObject({ size: 6 });
    expect(listed[0]!.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await readTextObject(s3, 'src-bucket', 'kopia/app/p1')).toBe('pack');
    expect(await readTextObject(s3, 'src-bucket', 'missing')).toBeNull();
  });

  it('copies across regions, and refuses when the source changed since it was listed (fake: S3 412 on copy-source-if-match, which moto ignores)', async () => {
    const source = await bucketIn('eu-west-1', 'src-bucket');
    const target = await bucketIn('eu-central-1', 'dst-bucket');
    enforceCopySourceIfMatch(target, 'eu-central-1');
    await put(source, 'src-bucket', 'backups/b/b.tar.gz', 'tarball v1');
    const [listed] = await listObjects(source, 'src-bucket', 'backups/');
    const request = {
      sourceBucket: 'src-bucket',
      sourceKey: listed!.key,
      targetBucket: 'dst-bucket',
      targetKey: listed!.key,
      size: listed!.size,
      sourceEtag: listed!.etag,
    };
    await copyObject(target, request, { multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB });
    expect(await readTextObject(target, 'dst-bucket', 'backups/b/b.tar.gz')).toBe('tarball v1');

    await put(source, 'src-bucket', 'backups/b/b.tar.gz', 'tarball v2, re-uploaded');
    await expect(
      copyObject(
        target,
        { ...request, targetKey: 'backups/b/again.tar.gz' },
        {
          multipartThresholdBytes: 6 * MiB,
          partSizeBytes: 5 * MiB,
        },
      ),
    ).rejects.toThrow();
    await expect(
      target.send(new HeadObjectCommand({ Bucket: 'dst-bucket', Key: 'backups/b/again.tar.gz' })),
    ).rejects.toThrow();
  });

  it('copies a large object with multipart UploadPartCopy, byte for byte', async () => {
    const source = await bucketIn('eu-west-1', 'src-bucket');
    const target = await bucketIn('eu-central-1', 'dst-bucket');
    const body = randomBytes(11 * MiB);
    await put(source, 'src-bucket', 'kopia/app/pbig', body);
    const [listed] = await listObjects(source, 'src-bucket', 'kopia/');
    await copyObject(
      target,
      {
        sourceBucket: 'src-bucket',
        sourceKey: 'kopia/app/pbig',
        targetBucket: 'dst-bucket',
        targetKey: 'kopia/app/pbig',
        size: listed!.size,
        sourceEtag: listed!.etag,
      },
      { multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB },
    );
    const copied = await target.send(
      new GetObjectCommand({ Bucket: 'dst-bucket', Key: 'kopia/app/pbig' }),
    );
    expect(copied.ETag).toMatch(/-3"$/); // three parts
    expect(Buffer.from(await copied.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('aborts a multipart copy that fails halfway: no object, no dangling upload', async () => {
    const source = await bucketIn('eu-west-1', 'src-bucket');
    const target = await bucketIn('eu-central-1', 'dst-bucket');
    await put(source, 'src-bucket', 'kopia/app/pbig', randomBytes(11 * MiB));
    const [listed] = await listObjects(source, 'src-bucket', 'kopia/');
    failNth(target, 'UploadPartCopyCommand', 2);
    await expect(
      copyObject(
        target,
        {
          sourceBucket: 'src-bucket',
          sourceKey: 'kopia/app/pbig',
          targetBucket: 'dst-bucket',
          targetKey: 'kopia/app/pbig',
          size: listed!.size,
          sourceEtag: listed!.etag,
        },
        { multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB },
      ),
    ).rejects.toThrow('injected fault on UploadPartCopyCommand #2');
    expect(await listObjects(target, 'dst-bucket', '')).toEqual([]);
    const uploads = await target.send(new ListMultipartUploadsCommand({ Bucket: 'dst-bucket' }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});
