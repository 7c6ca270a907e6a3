/** One object as a ListObjectsV2 page shows it. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** As S3 lists it; quotes are ignored when comparing. */
  etag: string;
  /** ISO 8601. */
  lastModified: string;
}

/** S3 lists ETags in quotes; adapters may or may not strip them. */
export function sameEtag(a: string, b: string): boolean {
  return a.replace(/"/g, '') === b.replace(/"/g, '');
}
