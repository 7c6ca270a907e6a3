/**
 * An in-memory S3 bucket and a tiny executor for re-sync plans, so planner tests can apply a
 * plan and plan again. Copies get a new ETag (as an object re-encrypted with the target's KMS
 * key does) and the apply time as LastModified; a copy whose source ETag changed since the
 * listing fails, as `CopySourceIfMatch` makes it.
 */
import { createHash } from 'node:crypto';

import type { BucketObject } from '../../cli/embedded/velero-layout';
import { backupDirectories } from '../../lambdas/core/resync/bucket-layout';
import { MANIFEST_FILE, parseManifest } from '../../lambdas/core/resync/manifest';
import type { ObjectInfo } from '../../lambdas/core/resync/object-info';
import { assessBackup } from '../../lambdas/core/resync/restorable';
import type { BackupAssessment } from '../../lambdas/core/resync/restorable';
import { planSync } from '../../lambdas/core/resync/sync-plan';
import type { SyncPlan, SyncPlanInput, SyncPolicy } from '../../lambdas/core/resync/sync-plan';
import type { MissingSince } from '../../lambdas/core/resync/deletions';
import type { PlanStep } from '../../lambdas/core/resync/sync-steps';
import { stepMayRun } from '../../lambdas/core/resync/sync-steps';

export function md5(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

interface SimObject {
  body: Buffer;
  etag: string;
  lastModified: string;
}

export class SimBucket {
  readonly objects = new Map<string, SimObject>();
  constructor(readonly name: string) {}

  put(key: string, body: Buffer | string, lastModified: string, etag?: string): void {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.objects.set(key, { body: bytes, etag: etag ?? md5(bytes), lastModified });
  }

  putAll(objects: readonly BucketObject[], lastModified: string | ((key: string) => string)): void {
    for (const o of objects) {
      this.put(
        o.key,
        o.body,
        typeof lastModified === 'string' ? lastModified : lastModified(o.key),
      );
    }
  }

  touch(key: string, lastModified: string): void {
    const o = this.objects.get(key);
    if (!o) throw new Error(`no ${key}`);
    o.lastModified = lastModified;
  }

  list(): ObjectInfo[] {
    return [...this.objects.entries()].map(([key, o]) => ({
      key,
      size: o.body.length,
      etag: `"${o.etag}"`,
      lastModified: o.lastModified,
    }));
  }

  text(key: string): string | null {
    return this.objects.get(key)?.body.toString('utf8') ?? null;
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

/** What an executor reads before planning: every backup directory assessed, manifests read. */
export function readBackups(
  bucket: SimBucket,
  prefix: string,
  acceptPhases: readonly string[],
): { assessments: Record<string, BackupAssessment>; manifests: Record<string, string | null> } {
  const assessments: Record<string, BackupAssessment> = {};
  const manifests: Record<string, string | null> = {};
  for (const [name, files] of backupDirectories(bucket.list(), prefix)) {
    const manifestText = bucket.text(`${prefix}backups/${name}/${MANIFEST_FILE}`);
    if (manifestText !== null) manifests[name] = manifestText;
    const metadataJson = bucket.text(`${prefix}backups/${name}/velero-backup.json`);
    if (metadataJson === null) continue;
    assessments[name] = assessBackup({
      name,
      files,
      metadataJson,
      acceptPhases,
      manifest: parseManifest(manifestText, name),
    });
  }
  return { assessments, manifests };
}

export interface SimSide {
  bucket: SimBucket;
  prefix: string;
}

export interface PlanOptions {
  now: string;
  missingSince?: MissingSince;
  policy?: Partial<SyncPolicy>;
  acceptPhases?: readonly string[];
  only?: string;
  /** Reorder/split the listings as pagination might (the planner must not care). */
  shuffle?: (objects: ObjectInfo[]) => ObjectInfo[];
}

export function planBetween(source: SimSide, target: SimSide, options: PlanOptions): SyncPlan {
  const acceptPhases = options.acceptPhases ?? ['Completed'];
  const shuffle = options.shuffle ?? ((objects: ObjectInfo[]) => objects);
  const sourceRead = readBackups(source.bucket, source.prefix, acceptPhases);
  const targetRead = readBackups(target.bucket, target.prefix, acceptPhases);
  const input: SyncPlanInput = {
    source: {
      bucket: source.bucket.name,
      prefix: source.prefix,
      objects: shuffle(source.bucket.list()),
      assessments: sourceRead.assessments,
    },
    target: {
      prefix: target.prefix,
      objects: shuffle(target.bucket.list()),
      assessments: targetRead.assessments,
      manifests: targetRead.manifests,
    },
    missingSince: options.missingSince ?? { backups: {}, repositoryObjects: {} },
    now: options.now,
    policy: { keepLatest: 3, deleteGraceSeconds: 86400, ...options.policy },
    only: options.only,
  };
  return planSync(input);
}

export interface ApplyResult {
  /** Every step run, in order. */
  ran: PlanStep[];
  failed: PlanStep[];
}

/**
 * Runs the plan's stages in order against the buckets. `crashAfter`: stop (as a dying Lambda
 * would) after that many steps. `fail`: steps that fail (the executor then skips what
 * `stepMayRun` refuses).
 */
export function applyPlan(
  plan: SyncPlan,
  source: SimSide,
  target: SimSide,
  at: string,
  options: { crashAfter?: number; fail?: (step: PlanStep) => boolean } = {},
): ApplyResult {
  const ran: PlanStep[] = [];
  const failed: PlanStep[] = [];
  const failedUnits = new Set<string>();
  for (const stage of plan.stages) {
    for (const step of stage) {
      if (options.crashAfter !== undefined && ran.length >= options.crashAfter) {
        return { ran, failed };
      }
      if (!stepMayRun(step, failedUnits)) continue;
      ran.push(step);
      if (options.fail?.(step) || !runStep(step, source, target, at)) {
        failed.push(step);
        failedUnits.add(step.unit);
      }
    }
  }
  return { ran, failed };
}

function runStep(step: PlanStep, source: SimSide, target: SimSide, at: string): boolean {
  switch (step.kind) {
    case 'copy': {
      const from = source.bucket.objects.get(step.sourceKey);
      if (!from || from.etag !== step.etag) return false; // CopySourceIfMatch: 412
      target.bucket.put(
        step.targetKey,
        from.body,
        at,
        md5(`kms:${target.bucket.name}:${md5(from.body)}`),
      );
      return true;
    }
    case 'write-manifest':
      target.bucket.put(step.targetKey, step.body, at);
      return true;
    case 'delete':
      target.bucket.objects.delete(step.targetKey);
      return true;
  }
}
