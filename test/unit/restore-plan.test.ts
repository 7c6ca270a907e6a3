import { describe, expect, it } from 'vitest';
import {
  restoreDrillIssues,
  restoreDrillSchema,
  scheduleIntervalSeconds,
  type RestoreDrillConfig,
} from '../../lambdas/core/config/restore-drill-schema';
import { NO_STATUS_COUNTS } from '../../lambdas/core/resync/backup-files';
import type { BackupAssessment, RestorableBackup } from '../../lambdas/core/resync/restorable';
import {
  DRILL_LABEL,
  MODIFIER_KEY,
  NAMESPACE_NAME,
  scratchNamespace,
} from '../../lambdas/core/restore/names';
import {
  chooseBackup,
  modifierRules,
  planRestoreDrill,
  type PlanRestoreDrillInput,
  type RestoreDrillPlan,
} from '../../lambdas/core/restore/plan-restore';
import { namespacesOfResourceList } from '../../lambdas/core/restore/resource-list';
import {
  backupSynced,
  deploymentAvailable,
  judgeRestore,
  restoreResultLines,
  type DeploymentView,
} from '../../lambdas/core/restore/restore-outcome';
import { measureVerifiedRpo, recordVerified } from '../../lambdas/core/restore/verified-rpo';

const backup = (
  name: string,
  completionTimestamp: string,
  schedule: string | null = 'daily',
): RestorableBackup => ({
  name,
  restorable: true,
  phase: 'Completed',
  schedule,
  startTimestamp: completionTimestamp,
  completionTimestamp,
  counters: NO_STATUS_COUNTS,
  fileSet: '1.18',
});
const broken = (name: string, reason: string): BackupAssessment => ({
  name,
  restorable: false,
  reasons: [reason],
});
const drill = (overrides: Partial<RestoreDrillConfig> = {}): RestoreDrillConfig => ({
  ...restoreDrillSchema.parse({ kubeconfigSecret: 'acme/dr' }),
  ...overrides,
});

describe('chooseBackup: the newest restorable backup on the DR side, or the one asked for', () => {
  const assessments = [
    backup('daily-1', '2026-06-01T03:00:00Z'),
    backup('hourly-7', '2026-06-02T07:00:00Z', 'hourly'),
    broken('daily-2', 'velero-backup.json is missing'),
    backup('b-tie', '2026-06-02T07:00:00Z', null),
  ];
  it.each([
    ['newest by completion time; a tie goes to the greater name', undefined, 'hourly-7'],
    ['the one asked for, although older', 'daily-1', 'daily-1'],
  ])('%s', (_, requested, expected) => {
    const choice = chooseBackup({
      assessments,
      bucket: 'dr-bucket',
      ...(requested ? { requested } : {}),
    });
    expect(choice).toMatchObject({ ok: true, backup: { name: expected } });
  });

  it.each([
    [
      'asked for one that is not there',
      { assessments, requested: 'nope' },
      "backup nope is not in the DR side's bucket dr-bucket",
    ],
    [
      'asked for one that is not restorable',
      { assessments, requested: 'daily-2' },
      'backup daily-2 in dr-bucket is not restorable: velero-backup.json is missing',
    ],
    [
      'nothing restorable',
      { assessments: [broken('x', 'no')] },
      "the DR side's bucket dr-bucket holds no restorable backup (1 backup(s), none restorable): run the re-sync first",
    ],
    [
      'an empty bucket',
      { assessments: [] },
      "the DR side's bucket dr-bucket holds no restorable backup: run the re-sync first",
    ],
  ])('refuses: %s', (_, input, reason) => {
    expect(chooseBackup({ bucket: 'dr-bucket', ...input })).toEqual({ ok: false, reason });
  });
});

describe('namespacesOfResourceList (a backup’s <name>-resource-list.json.gz)', () => {
  it('reads namespaces from namespaced items and Namespace objects, as Velero v1.18.3 wrote them', () => {
    // Written by the real server in the test world (backup of namespace shop).
    const list = {
      'apps/v1/Deployment': ['shop/external-dns', 'shop/web'],
      'v1/ConfigMap': ['shop/kube-root-ca.crt', 'shop/web-config'],
      'v1/Namespace': ['shop', 'empty'],
      'rbac.authorization.k8s.io/v1/ClusterRole': ['viewer'],
    };
    expect(namespacesOfResourceList(JSON.stringify(list))).toEqual({
      ok: true,
      namespaces: ['empty', 'shop'],
      items: 7,
    });
  });
  it.each([
    ['{}', { ok: true, namespaces: [], items: 0 }],
    ['null', { ok: true, namespaces: [], items: 0 }],
    ['[1]', { ok: false, reason: 'the resource list is not a JSON object of kind → names' }],
    [
      '{"v1/Pod": "a/b"}',
      { ok: false, reason: "the resource list's v1/Pod is not a list of names" },
    ],
  ])('%s', (text, expected) => {
    expect(namespacesOfResourceList(text)).toEqual(expected);
  });
  it('says why a body is not JSON', () => {
    expect(namespacesOfResourceList('{')).toMatchObject({ ok: false });
  });
});

describe('scratchNamespace', () => {
  it.each([
    ['shop', 'abc123', 'shop-drill-abc123'],
    ['a'.repeat(63), 'abc123', `${'a'.repeat(50)}-drill-abc123`],
    [`${'a'.repeat(49)}-bbb`, 'abc123', `${'a'.repeat(49)}-drill-abc123`], // a cut ending in - drops it
  ])('%s → %s', (source, id, expected) => {
    const name = scratchNamespace(source, id);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(NAMESPACE_NAME);
  });
});

describe('planRestoreDrill', () => {
  const input = (overrides: Partial<PlanRestoreDrillInput> = {}): PlanRestoreDrillInput => ({
    drillId: 'abc123',
    backup: backup('daily-9', '2026-06-02T03:00:00Z'),
    backupNamespaces: ['shop', 'kube-system', 'velero', 'payments'],
    existingNamespaces: ['default', 'shop', 'payments', 'kube-system', 'velero'],
    drill: drill(),
    ...overrides,
  });
  const planOf = (overrides: Partial<PlanRestoreDrillInput> = {}): RestoreDrillPlan => {
    const planning = planRestoreDrill(input(overrides));
    if (!planning.ok) throw new Error(planning.reason);
    return planning.plan;
  };

  it('maps every namespace of the backup but the cluster’s and Velero’s to <ns>-drill-<id>', () => {
    const plan = planOf();
    expect(plan.mapping).toEqual([
      { source: 'payments', scratch: 'payments-drill-abc123' },
      { source: 'shop', scratch: 'shop-drill-abc123' },
    ]);
    expect(plan.skippedNamespaces).toEqual([
      { name: 'kube-system', reason: "the cluster's own" },
      { name: 'velero', reason: "Velero's namespace" },
    ]);
  });

  it('asks Velero for a Restore into the scratch namespaces only, nothing cluster-wide, without Ingresses, external-dns and its DNSEndpoints', () => {
    const plan = planOf({ drill: drill({ excludedResources: ['services'] }) });
    expect(plan.restore).toEqual({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: {
        name: 'drpilot-drill-abc123',
        namespace: 'velero',
        labels: { [DRILL_LABEL]: 'abc123' },
      },
      spec: {
        backupName: 'daily-9',
        includedNamespaces: ['payments', 'shop'],
        namespaceMapping: { payments: 'payments-drill-abc123', shop: 'shop-drill-abc123' },
        excludedResources: [
          'ingresses.networking.k8s.io',
          'dnsendpoints.externaldns.k8s.io',
          'services',
        ],
        includeClusterResources: false,
        labelSelector: {
          matchExpressions: [
            { key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['external-dns'] },
            { key: 'app', operator: 'NotIn', values: ['external-dns'] },
          ],
        },
        resourceModifier: { kind: 'ConfigMap', name: 'drpilot-drill-abc123-modifiers' },
      },
    });
    expect(plan.modifiers.metadata).toEqual({
      name: 'drpilot-drill-abc123-modifiers',
      namespace: 'velero',
      labels: { [DRILL_LABEL]: 'abc123' },
    });
  });

  it('writes modifier rules that name the SOURCE namespaces (Velero applies them before the mapping)', () => {
    const plan = planOf();
    const rules = JSON.parse(plan.modifiers.data[MODIFIER_KEY] ?? '');
    expect(rules).toEqual({
      version: 'v1',
      resourceModifierRules: [
        {
          conditions: { groupResource: '**', namespaces: ['payments', 'shop'] },
          mergePatches: [{ patchData: '{"metadata":{"labels":{"drpilot.io/drill":"abc123"}}}' }],
        },
        {
          conditions: { groupResource: 'services', namespaces: ['payments', 'shop'] },
          mergePatches: [
            {
              patchData:
                '{"metadata":{"annotations":{"external-dns.alpha.kubernetes.io/hostname":null,"external-dns.alpha.kubernetes.io/internal-hostname":null}}}',
            },
          ],
        },
      ],
    });
    expect(modifierRules('abc123', ['shop'])).not.toContain('drill-abc123');
  });

  it('carries the deadlines and what counts as verified from the config', () => {
    const plan = planOf({
      drill: drill({
        backupSyncSeconds: 90,
        restoreSeconds: 300,
        deploymentAvailableSeconds: 0,
        cleanupSeconds: 60,
        acceptPhases: ['Completed', 'PartiallyFailed'],
      }),
    });
    expect(plan.deadlines).toEqual({
      backupSyncMs: 90_000,
      restoreMs: 300_000,
      deploymentsAvailableMs: 0,
      cleanupMs: 60_000,
    });
    expect(plan.acceptPhases).toEqual(['Completed', 'PartiallyFailed']);
  });

  it.each<[string, Partial<PlanRestoreDrillInput>, string]>([
    [
      'a scratch namespace exists already',
      { existingNamespaces: ['shop', 'shop-drill-abc123'] },
      'scratch namespace shop-drill-abc123 already exists in the DR cluster: a drill never restores into an existing namespace',
    ],
    [
      'a scratch namespace is one of the backup’s own',
      { backupNamespaces: ['shop', 'shop-drill-abc123'] },
      'scratch namespace shop-drill-abc123 is a namespace of the backup: a drill never restores into the original namespaces',
    ],
    [
      'two namespaces cut to the same scratch name',
      { backupNamespaces: [`${'a'.repeat(50)}x`, `${'a'.repeat(50)}y`] },
      `namespaces ${'a'.repeat(50)}x and ${'a'.repeat(50)}y would both be restored into ${'a'.repeat(50)}-drill-abc123 (names cut to 63 characters)`,
    ],
    [
      'the backup holds only excluded namespaces',
      { backupNamespaces: ['kube-system', 'velero'] },
      'backup daily-9 holds no namespace the drill may restore (it holds kube-system, velero)',
    ],
    [
      'the backup holds no namespaced object',
      { backupNamespaces: [] },
      'backup daily-9 holds no namespace the drill may restore (it holds no namespaced object)',
    ],
    [
      'a configured exclusion leaves nothing',
      { backupNamespaces: ['shop'], drill: drill({ excludedNamespaces: ['shop'] }) },
      'backup daily-9 holds no namespace the drill may restore (it holds shop)',
    ],
    [
      'a drill id that cannot be part of a namespace name',
      { drillId: 'ABC_1' },
      'drill id "ABC_1" is not 4–12 lower-case letters or digits',
    ],
  ])('refuses: %s', (_, overrides, reason) => {
    expect(planRestoreDrill(input(overrides))).toEqual({ ok: false, reason });
  });
});

describe('what the drill makes of what it reads back', () => {
  it.each([
    [null, false, 'no Backup object yet'],
    [{ metadata: { name: 'b' }, status: { phase: 'Completed' } }, true, 'Backup b is Completed'],
    [
      { metadata: { name: 'b' }, status: { phase: 'PartiallyFailed' } },
      true,
      'Backup b is PartiallyFailed',
    ],
    [{ metadata: { name: 'b' }, status: { phase: 'Deleting' } }, false, 'Backup b is Deleting'],
    [{ metadata: { name: 'b' } }, false, 'Backup b is without a phase'],
  ])('backupSynced %#', (backupObject, synced, detail) => {
    expect(backupSynced(backupObject)).toEqual({ synced, detail });
  });

  const progress = { itemsRestored: 14, totalItems: 14 };
  it.each([
    [
      { phase: 'Completed', progress, warnings: 1 },
      ['Completed'],
      true,
      'the Restore ended Completed: 14 of 14 item(s) restored, 1 warning(s), 0 error(s)',
    ],
    [
      { phase: 'PartiallyFailed', progress, errors: 2 },
      ['Completed'],
      false,
      'the Restore ended PartiallyFailed, which backups.restoreDrill.acceptPhases does not accept (14 of 14 item(s) restored, 0 warning(s), 2 error(s))',
    ],
    [
      { phase: 'PartiallyFailed', progress, errors: 2 },
      ['Completed', 'PartiallyFailed'],
      true,
      'the Restore ended PartiallyFailed: 14 of 14 item(s) restored, 0 warning(s), 2 error(s)',
    ],
    [
      { phase: 'Completed', progress: { itemsRestored: 0, totalItems: 0 } },
      ['Completed'],
      false,
      'the Restore ended Completed having restored nothing',
    ],
    [
      { phase: 'Failed', failureReason: 'error getting backup' },
      ['Completed'],
      false,
      'the Restore failed: error getting backup (0 of 0 item(s) restored, 0 warning(s), 0 error(s))',
    ],
    [
      { phase: 'FailedValidation', validationErrors: ['backup not found'] },
      ['Completed'],
      false,
      'Velero refused the Restore (FailedValidation): backup not found',
    ],
  ])('judgeRestore %#', (status, accept, ok, reason) => {
    expect(judgeRestore(status, accept)).toEqual({ ok, reason });
  });

  const deployment = (
    replicas: number,
    status: DeploymentView['status'],
    generation = 1,
  ): DeploymentView => ({
    metadata: { name: 'web', namespace: 'shop-drill-x', generation },
    spec: { replicas },
    ...(status ? { status } : {}),
  });
  const available = { type: 'Available', status: 'True' };
  it.each([
    [
      deployment(2, { observedGeneration: 1, availableReplicas: 2, conditions: [available] }),
      true,
      'shop-drill-x/web: 2/2 available',
    ],
    [
      deployment(2, {
        observedGeneration: 1,
        availableReplicas: 1,
        conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
      }),
      false,
      'shop-drill-x/web: 1/2 available (Available=False, MinimumReplicasUnavailable)',
    ],
    [
      deployment(2, { observedGeneration: 1, availableReplicas: 2, conditions: [available] }, 2),
      false,
      'shop-drill-x/web: 2/2 available (Available=True), generation not observed yet',
    ],
    [deployment(0, undefined), true, 'shop-drill-x/web: 0 replicas wanted'],
    [
      deployment(1, undefined),
      false,
      'shop-drill-x/web: 0/1 available, generation not observed yet',
    ],
  ])('deploymentAvailable %#', (d, ok, detail) => {
    expect(deploymentAvailable(d)).toEqual({ available: ok, detail });
  });

  it("turns Velero's results file into lines, namespaces in order", () => {
    const results = {
      errors: { velero: ['boom'], namespaces: { b: ['e2'], a: ['e1'] } },
      warnings: {
        cluster: ['w0'],
        namespaces: {
          'shop-drill-x': ['could not restore, ConfigMap:kube-root-ca.crt already exists'],
        },
      },
    };
    expect(restoreResultLines(JSON.stringify(results))).toEqual({
      errors: ['velero: boom', 'a: e1', 'b: e2'],
      warnings: [
        'cluster: w0',
        'shop-drill-x: could not restore, ConfigMap:kube-root-ca.crt already exists',
      ],
    });
    expect(restoreResultLines(null)).toEqual({ warnings: [], errors: [] });
    expect(restoreResultLines('{"errors":{},"warnings":{}}')).toEqual({ warnings: [], errors: [] });
  });
});

describe('verified RPO', () => {
  const verified = (backupName: string, schedule: string, completionTimestamp: string) => ({
    backup: backupName,
    schedule,
    completionTimestamp,
    verifiedAt: '2026-06-10T00:00:00Z',
    drillId: 'abcd',
  });
  it('keeps per schedule the newest backup a drill verified, and ages it to now', () => {
    let record = recordVerified(null, verified('daily-1', 'daily', '2026-06-09T00:00:00Z'));
    record = recordVerified(record, verified('hourly-3', 'hourly', '2026-06-09T22:00:00Z'));
    // An older backup verified later does not move its schedule back.
    record = recordVerified(record, verified('daily-0', 'daily', '2026-06-08T00:00:00Z'));
    const report = measureVerifiedRpo(record, '2026-06-10T00:00:00Z');
    expect(report.schedules.map((s) => [s.schedule, s.backup, s.rpoSeconds])).toEqual([
      ['daily', 'daily-1', 86400],
      ['hourly', 'hourly-3', 7200],
    ]);
    expect(report.overall).toMatchObject({ backup: 'hourly-3', rpoSeconds: 7200 });
  });
  it('is null before the first verified drill', () => {
    expect(measureVerifiedRpo(null, '2026-06-10T00:00:00Z')).toEqual({
      now: '2026-06-10T00:00:00Z',
      overall: null,
      schedules: [],
    });
  });
});

describe('backups.restoreDrill cross-field rules', () => {
  it.each([
    ['rate(7 days)', 604800],
    ['rate(1 hour)', 3600],
    ['rate(30 minutes)', 1800],
    ['cron(0 3 ? * SUN *)', null],
  ])('the interval of %s', (expression, seconds) => {
    expect(scheduleIntervalSeconds(expression)).toBe(seconds);
  });
  it.each<[string, Partial<RestoreDrillConfig>, string[]]>([
    ['the defaults fit', {}, []],
    [
      'deadlines longer than one run of the function',
      { restoreSeconds: 700, backupSyncSeconds: 200 },
      [
        'restoreSeconds: backupSyncSeconds + restoreSeconds + deploymentAvailableSeconds + cleanupSeconds is 1140 s; at most 840 s fit into one run of the function (15 minutes)',
      ],
    ],
    [
      'more often than hourly',
      { schedule: 'rate(30 minutes)' },
      [
        'schedule: runs every 1800 s: a restore drill more often than hourly is load on the DR cluster, not a check',
      ],
    ],
    [
      'an alarm shorter than the schedule',
      { schedule: 'rate(14 days)' },
      [
        "verifiedRpoAlarmSeconds: must exceed the schedule's interval (1209600 s), or the verified-RPO alarm fires between two drills that both pass",
      ],
    ],
    [
      'a namespace listed twice',
      { excludedNamespaces: ['a', 'a'] },
      ['excludedNamespaces.1: lists "a" twice'],
    ],
  ])('%s', (_, overrides, messages) => {
    expect(
      restoreDrillIssues(drill(overrides)).map((i) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual(messages);
  });
});
