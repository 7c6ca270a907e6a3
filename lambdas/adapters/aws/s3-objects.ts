import {
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectInfo } from '../../core/resync/object-info';

/** Every object under a prefix, across all pages. */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      objects.push({
        key: o.Key,
        size: o.Size ?? 0,
        etag: (o.ETag ?? '').replace(/"/g, ''),
        lastModified: (o.LastModified ?? new Date(0)).toISOString(),
      });
    }
  }
  return objects;
}

/** An object's body as text, or null when it does not exist. */
export async function readTextObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<string | null> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Body ? await Body.transformToString('utf8') : '';
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
      return null;
    throw error;
  }
}
