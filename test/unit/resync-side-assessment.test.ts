import { describe, expect, it } from 'vitest';
import { veleroBackup } from '../../cli/embedded/velero-layout';
import type { ObjectInfo } from '../../lambdas/core/resync/object-info';
import { assessListing, backupFilesToRead } from '../../lambdas/core/resync/side-assessment';
import { md5 } from '../support/velero-bucket-sim';

const PREFIX = 'velero/';
const WRITTEN = '2024-06-01T02:07:32.000Z';

function backupObjects(name: string, options: { omit?: string[] } = {}) {
  return veleroBackup({
    name,
    prefix: PREFIX,
    version: '1.18',
    phase: 'Completed',
    startTimestamp: '2024-06-01T02:00:00Z',
    completionTimestamp: '2024-06-01T02:07:31Z',
    ...options,
  }).objects;
}

const info = (key: string, body: Buffer | string): ObjectInfo => ({
  key,
  size: body.length,
  etag: md5(body),
  lastModified: WRITTEN,
});

/** A side's listing: a complete backup, one still uploading (no json yet), one copied by drpilot. */
function side() {
  const bodies = new Map<string, string>();
  const objects: ObjectInfo[] = [];
  const add = (key: string, body: Buffer | string) => {
    bodies.set(key, body.toString());
    objects.push(info(key, body));
  };
  for (const o of backupObjects('daily-1')) add(o.key, o.body);
  for (const o of backupObjects('daily-2', { omit: ['velero-backup.json'] })) add(o.key, o.body);
  for (const o of backupObjects('daily-3')) add(o.key, o.body);
  add(`${PREFIX}backups/daily-3/drpilot-manifest.json`, '{"not":"a manifest"}');
  add(`${PREFIX}kopia/default/p0123`, 'pack');
  add(`${PREFIX}loose.txt`, 'not ours');
  return { objects, bodies };
}

describe('assessing a listing: what to read, and what the reads mean', () => {
  it('reads only the listed json and manifest of each backup directory', () => {
    const { objects } = side();
    expect(backupFilesToRead(objects, PREFIX)).toEqual([
      `${PREFIX}backups/daily-1/velero-backup.json`,
      `${PREFIX}backups/daily-3/velero-backup.json`,
      `${PREFIX}backups/daily-3/drpilot-manifest.json`,
    ]);
  });

  it('assesses every directory with a json, keeps manifest texts, and leaves out a directory without a json', () => {
    const { objects, bodies } = side();
    const texts = new Map(
      backupFilesToRead(objects, PREFIX).map((k) => [k, bodies.get(k) ?? null]),
    );
    const assessed = assessListing(objects, PREFIX, texts, ['Completed']);
    expect(assessed.objects).toBe(objects);
    expect(Object.keys(assessed.assessments).sort()).toEqual(['daily-1', 'daily-3']);
    expect(assessed.assessments['daily-1']).toMatchObject({ restorable: true, phase: 'Completed' });
    expect(assessed.assessments['daily-3']).toMatchObject({ restorable: true });
    expect(assessed.manifests).toEqual({ 'daily-3': '{"not":"a manifest"}' });
  });

  it('a json or manifest that vanished between list and read (null), or was not read, counts as missing', () => {
    const { objects } = side();
    const texts = new Map<string, string | null>([
      [`${PREFIX}backups/daily-1/velero-backup.json`, null],
      [`${PREFIX}backups/daily-3/drpilot-manifest.json`, null],
    ]);
    const assessed = assessListing(objects, PREFIX, texts, ['Completed']);
    expect(assessed.assessments['daily-1']).toEqual({
      name: 'daily-1',
      restorable: false,
      reasons: ['velero-backup.json is missing'],
    });
    expect(assessed.assessments['daily-3']).toMatchObject({
      restorable: false,
      reasons: ['velero-backup.json is missing'],
    });
    expect(assessed.manifests).toEqual({ 'daily-3': null });
  });
});
