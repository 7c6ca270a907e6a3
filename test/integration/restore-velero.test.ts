/**
 * The restore drill against real Velero servers (v1.18.3 + velero-plugin-for-aws v1.14.3, out of
 * cluster), the run's real Kubernetes world and moto's S3 — the whole chain: the primary's Velero
 * backs up namespaces into the primary bucket, `drpilot resync` copies them, the DR cluster's
 * Velero syncs them from the DR bucket, and the restore drill restores into scratch namespaces and
 * cleans up. Only one Velero server runs per machine (port 8080), so the primary's runs first and
 * stops, then the DR side's runs for the rest of the file. drpilot talks to the DR cluster as a
 * ServiceAccount holding only the rights docs/restore-drill.md lists for the drill.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKwokNodes } from '../../cli/embedded/kwok-nodes';
import { createRestoreIdentity, type RestoreIdentity } from '../../cli/embedded/restore-identity';
import {
  backupWithVelero,
  createShop,
  createStuckWorkload,
  inspectScratch,
  type ScratchSnapshot,
} from '../../cli/embedded/velero-workloads';
import {
  installVelero,
  startVeleroServer,
  type VeleroServer,
} from '../../cli/emulator/velero-server';
import type { VeleroBinaries } from '../../cli/emulator/velero-server-binaries';
import { dynamoDbDocumentClient, s3Client } from '../../lambdas/adapters/aws/clients';
import { listObjects } from '../../lambdas/adapters/aws/s3-objects';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { createKubeApi } from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { RestoreDrillConfig } from '../../lambdas/core/config/restore-drill-schema';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { VerifiedRestores } from '../../lambdas/core/restore/verified-rpo';
import { stateKeys } from '../../lambdas/core/state-keys';
import { runRestoreDrill, type RestoreDrillResult } from '../../lambdas/restore/run-restore';
import { runResync } from '../../lambdas/resync/run-resync';
import { useK8sWorld } from '../support/k8s-world';
import { useMoto } from '../support/moto';
import { configWithRestoreDrill, seedRestoreEstate, veleroForTests } from '../support/velero';

const moto = useMoto({ resetBeforeEach: false });
const k8s = useK8sWorld();

const id = randomBytes(3).toString('hex');
const names = {
  shop: `shop-${id}`,
  slow: `slow-${id}`,
  hooked: `hooked-${id}`,
  primaryVelero: `velero-p-${id}`,
  drVelero: `velero-d-${id}`,
  elsewhere: `velero-x-${id}`,
  identity: `drill-sa-${id}`,
  backups: { shop: `shop-${id}-1`, slow: `slow-${id}-1`, hooked: `hooked-${id}-1` },
};
const OWNER = { 'drpilot.test/owner': `restore-${id}` };
const nodes = [`restore-${id}-a`, `restore-${id}-b`];
const DEADLINES: Partial<RestoreDrillConfig> = {
  backupSyncSeconds: 60,
  restoreSeconds: 60,
  deploymentAvailableSeconds: 30,
  cleanupSeconds: 90,
};

let binaries: VeleroBinaries;
let config: DrpilotConfig;
let drServer: VeleroServer | undefined;
let identity: RestoreIdentity | undefined;
let resyncCopied: string[] = [];

const drBucket = () => config.backups.buckets.dr;
const restoreKeys = async () =>
  (await listObjects(s3Client(drBucket().region), drBucket().bucket, 'restores/')).map(
    (o) => o.key,
  );
const drill = (overrides: Partial<RestoreDrillConfig> = {}): DrpilotConfig => ({
  ...config,
  backups: {
    ...config.backups,
    restoreDrill: { ...config.backups.restoreDrill!, ...DEADLINES, ...overrides },
  },
});
const exists = async (path: string) =>
  (await k8s.admin.client.call('GET', path)).statusCode === 200;

beforeAll(async () => {
  const { admin, world } = k8s;
  binaries = await veleroForTests();
  await createKwokNodes(
    admin,
    nodes.map((name) => ({ name, labels: OWNER })),
  );
  await createShop(admin, { namespace: names.shop, nodeSelector: OWNER, readyDelay: '1s' });
  await createStuckWorkload(admin, {
    namespace: names.slow,
    nodeSelector: OWNER,
    kind: 'never-ready',
  });
  await createStuckWorkload(admin, {
    namespace: names.hooked,
    nodeSelector: OWNER,
    kind: 'hooked',
  });

  for (const name of [names.identity, names.drVelero]) {
    await admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  }
  identity = await createRestoreIdentity(admin, {
    server: world.server,
    caData: parseKubeconfig(world.adminKubeconfig).caData ?? '',
    namespace: names.identity,
    veleroNamespace: names.drVelero,
  });
  config = await seedRestoreEstate(
    configWithRestoreDrill({
      kubeconfigSecret: `acme/drpilot/dr-restore-drill-${id}`,
      veleroNamespace: names.drVelero,
      ...DEADLINES,
    }),
    identity.kubeconfigJson,
  );

  // The primary cluster's Velero backs the namespaces up into the primary bucket, then stops.
  const primary = config.backups.buckets.primary;
  await installVelero(admin, binaries, {
    namespace: names.primaryVelero,
    location: { ...primary, s3Url: moto.endpoint, accessMode: 'ReadWrite' },
  });
  const primaryServer = await startVeleroServer({
    binaries,
    kubeconfig: world.adminKubeconfig,
    namespace: names.primaryVelero,
  });
  try {
    const backup = (name: string, namespace: string) =>
      backupWithVelero(admin, {
        veleroNamespace: names.primaryVelero,
        name,
        namespaces: [namespace],
        schedule: 'daily',
      });
    await backup(names.backups.hooked, names.hooked);
    await backup(names.backups.slow, names.slow);
    // Completion times have whole seconds: the shop's backup is the newest by a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await backup(names.backups.shop, names.shop);
  } finally {
    await primaryServer.stop();
  }

  // drpilot copies what is restorable to the DR bucket, json last.
  const resync = await runResync(config, { dryRun: false, trigger: 'test' });
  resyncCopied = resync.copied;

  // The DR cluster's Velero: a ReadOnly location on the DR bucket (status primed, so its backup
  // sync's first pass runs at start-up), for the rest of the file.
  await installVelero(admin, binaries, {
    namespace: names.drVelero,
    location: { ...drBucket(), s3Url: moto.endpoint, accessMode: 'ReadOnly' },
    primeLocation: true,
  });
  drServer = await startVeleroServer({
    binaries,
    kubeconfig: world.adminKubeconfig,
    namespace: names.drVelero,
  });
}, 300_000);

afterAll(async () => {
  await drServer?.stop();
  const { admin } = k8s;
  await identity?.remove();
  for (const namespace of [
    names.shop,
    names.slow,
    names.hooked,
    names.primaryVelero,
    names.drVelero,
    names.elsewhere,
    names.identity,
  ]) {
    await admin.delete(`/api/v1/namespaces/${namespace}`);
  }
  for (const node of nodes) await admin.delete(`/api/v1/nodes/${node}`);
}, 120_000);

/** Everything the drill made is gone: scratch namespaces, Restore, ConfigMap, restores/ in the bucket. */
async function expectCleanedUp(result: RestoreDrillResult): Promise<void> {
  expect(result.cleanup).toMatchObject({ ok: true, problems: [], bucketObjectsLeft: [] });
  const velero = result.veleroNamespace;
  for (const { scratch } of result.scratchNamespaces) {
    expect(await exists(`/api/v1/namespaces/${scratch}`), scratch).toBe(false);
  }
  expect(await exists(`/apis/velero.io/v1/namespaces/${velero}/restores/${result.restore}`)).toBe(
    false,
  );
  expect(await exists(`/api/v1/namespaces/${velero}/configmaps/${result.restore}-modifiers`)).toBe(
    false,
  );
  expect(await restoreKeys()).toEqual([]);
}

describe('the restore drill with real Velero servers', () => {
  it('backup on primary → resync → DR sync → restore into scratch namespaces, Ingresses excluded, label added → cleanup', async () => {
    expect(resyncCopied).toEqual(
      expect.arrayContaining([names.backups.shop, names.backups.slow, names.backups.hooked]),
    );
    let restored: ScratchSnapshot[] = [];
    let sourceLabels: Record<string, string> | undefined;
    const result = await runRestoreDrill(drill(), {
      dryRun: false,
      trigger: 'test: the chain',
      pollMs: 200,
      onRestored: async (plan) => {
        restored = await inspectScratch(k8s.admin, plan);
        sourceLabels = (
          await k8s.admin.get<{ metadata: { labels?: Record<string, string> } }>(
            `/apis/apps/v1/namespaces/${names.shop}/deployments/web`,
          )
        ).metadata.labels;
      },
    });

    expect(result.reason).toMatch(/^shop-\w+-1 restored into shop-\w+-drill-\w+: \d+ item\(s\)/);
    expect(result).toMatchObject({
      outcome: 'verified',
      backup: { name: names.backups.shop, schedule: 'daily' },
      veleroNamespace: names.drVelero,
      phase: 'Completed',
      scratchNamespaces: [{ source: names.shop, scratch: `${names.shop}-drill-${result.drillId}` }],
      errors: [],
    });
    // Velero's own words, from restores/<name>/restore-<name>-results.gz. kube-controller-manager's
    // root-CA publisher creates kube-root-ca.crt in the new scratch namespace, racing Velero's
    // restore of the backed-up copy: when the publisher wins, Velero warns that it already exists.
    expect(result.warnings.length).toBeLessThanOrEqual(1);
    for (const warning of result.warnings) {
      expect(warning).toMatch(
        new RegExp(
          `^${names.shop}-drill-\\w+: could not restore, ConfigMap:kube-root-ca.crt already exists`,
        ),
      );
    }
    expect(result.itemsRestored).toBeGreaterThan(0);
    expect(result.deployments).toEqual([
      {
        namespace: `${names.shop}-drill-${result.drillId}`,
        name: 'web',
        available: true,
        detail: `${names.shop}-drill-${result.drillId}/web: 2/2 available`,
      },
    ]);

    // What the scratch namespace held before the cleanup.
    expect(restored).toEqual([
      {
        namespace: `${names.shop}-drill-${result.drillId}`,
        deployments: ['web'], // external-dns's own Deployment left out
        configMaps: ['web-config'],
        services: ['web'],
        ingresses: [], // excluded
        labelled: 3, // every object above carries drpilot.io/drill=<id>
        objects: 3,
        externalDnsAnnotated: [], // the Service's external-dns hostname annotation removed
      },
    ]);
    expect(sourceLabels).not.toHaveProperty('drpilot.io/drill');

    await expectCleanedUp(result);
    // The verified RPO is this backup's age, recorded for its schedule.
    expect(result.verifiedRpo?.overall).toMatchObject({
      backup: names.backups.shop,
      schedule: 'daily',
      drillId: result.drillId,
    });
    const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
    const recorded = await store.readValue<VerifiedRestores>(stateKeys.restoreVerified());
    expect(recorded?.bySchedule['daily']?.backup).toBe(names.backups.shop);
    const [audit] = await store.recentAudit('restore-drill', 1);
    expect(audit).toMatchObject({ outcome: 'verified', backup: names.backups.shop });
  });

  it('refuses when a scratch namespace already exists, and creates nothing', async () => {
    const taken = `${names.shop}-drill-taken1`;
    await k8s.admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: taken },
    });
    try {
      const result = await runRestoreDrill(drill(), {
        dryRun: false,
        trigger: 'test',
        drillId: 'taken1',
      });
      expect(result).toMatchObject({ outcome: 'refused', cleanup: null });
      expect(result.reason).toBe(
        `scratch namespace ${taken} already exists in the DR cluster: a drill never restores into an existing namespace`,
      );
      expect(
        await exists(
          `/apis/velero.io/v1/namespaces/${names.drVelero}/restores/drpilot-drill-taken1`,
        ),
      ).toBe(false);
    } finally {
      await k8s.admin.delete(`/api/v1/namespaces/${taken}`);
    }
  });

  it('Deployments that never become Available fail the drill at their budget, and everything is still removed', async () => {
    const result = await runRestoreDrill(drill({ deploymentAvailableSeconds: 5 }), {
      dryRun: false,
      trigger: 'test',
      backup: names.backups.slow,
      pollMs: 200,
    });
    expect(result).toMatchObject({ outcome: 'failed', phase: 'Completed' });
    expect(result.reason).toMatch(
      new RegExp(
        `^the restored Deployments to become Available: not within 5 s \\(last seen: ${names.slow}-drill-\\w+/stuck: 0/1 available`,
      ),
    );
    await expectCleanedUp(result);
    // A failed drill verifies nothing: the record still names the shop's backup.
    expect(result.verifiedRpo?.overall?.backup).toBe(names.backups.shop);
  });

  it('a backup that never appears in the DR cluster ends at its deadline, having created nothing', async () => {
    // The config names a namespace where no Velero runs (the identity may read it).
    await k8s.admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: names.elsewhere },
    });
    await identity!.bindIn(names.elsewhere);
    const result = await runRestoreDrill(
      drill({ veleroNamespace: names.elsewhere, backupSyncSeconds: 10 }),
      { dryRun: false, trigger: 'test', pollMs: 500 },
    );
    expect(result).toMatchObject({ outcome: 'failed', phase: null, itemsRestored: null });
    expect(result.reason).toBe(
      `backup ${names.backups.shop} to appear in the DR cluster (namespace ${names.elsewhere}; Velero's backup sync runs at most once a minute): not within 10 s (last seen: no Backup object yet)`,
    );
    expect(result.cleanup).toMatchObject({ ok: true, restore: 'gone', modifiers: 'gone' });
    await expectCleanedUp(result);
  });

  it('a Restore that never finishes (post-restore hooks waiting for a container that never runs) ends at its deadline, and is deleted through Velero', async () => {
    const result = await runRestoreDrill(drill({ restoreSeconds: 15 }), {
      dryRun: false,
      trigger: 'test',
      backup: names.backups.hooked,
      pollMs: 500,
    });
    // Velero restored the items and waits for the hooks (Finalizing) — on a slow machine it may
    // still be restoring them when the deadline passes.
    expect(result).toMatchObject({
      outcome: 'failed',
      phase: expect.stringMatching(/^(InProgress|Finalizing)$/),
    });
    expect(result.reason).toMatch(
      /^Restore drpilot-drill-\w+ to finish: not within 15 s \(last seen: phase (InProgress|Finalizing)(, \d+ of \d+ item\(s\) restored)?\)$/,
    );
    expect(result.cleanup).toMatchObject({ restore: 'deleted' });
    await expectCleanedUp(result);
  });

  it("the identity holds only the drill's rights: no Secrets, no Pods, no new namespaces", async () => {
    const api = createKubeApi(parseKubeconfig(identity!.kubeconfigJson));
    try {
      const status = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
        (
          await api.call(
            method,
            path,
            body === undefined ? undefined : { contentType: 'application/json', value: body },
          )
        ).statusCode;
      expect(await status('GET', `/api/v1/namespaces/${names.drVelero}/secrets`)).toBe(403);
      expect(await status('GET', `/apis/velero.io/v1/namespaces/${names.drVelero}/backups`)).toBe(
        403,
      );
      expect(
        await status('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: `nope-${id}` },
        }),
      ).toBe(403);
      expect(
        await status('POST', `/apis/apps/v1/namespaces/${names.shop}/deployments`, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'nope' },
        }),
      ).toBe(403);
      expect(
        await status(
          'GET',
          `/apis/velero.io/v1/namespaces/${names.drVelero}/backups/${names.backups.shop}`,
        ),
      ).toBe(200);
    } finally {
      api.close();
    }
  });

  it("the re-sync leaves a restore's files in the DR bucket alone", async () => {
    const key = 'restores/someone-elses-restore/restore-someone-elses-restore-logs.gz';
    await s3Client(drBucket().region).send(
      new PutObjectCommand({ Bucket: drBucket().bucket, Key: key, Body: 'log' }),
    );
    const resync = await runResync(config, { dryRun: false, trigger: 'test' });
    expect(resync.outcome).not.toBe('failed');
    expect(await restoreKeys()).toEqual([key]);
    await s3Client(drBucket().region).send(
      new DeleteObjectCommand({ Bucket: drBucket().bucket, Key: key }),
    );
  });
});
