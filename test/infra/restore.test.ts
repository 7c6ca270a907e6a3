import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import type { Pager } from '../../lib/pager';
import type { RestoreDrill } from '../../lib/restore';
import {
  defined,
  logicalId,
  nagFindings,
  newTestApp,
  type PolicyStatement,
  statementsOf,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';

const DR_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const actionsOf = (s: PolicyStatement) => ([] as string[]).concat(s.Action).sort();

function synth(edit?: Parameters<typeof validExampleConfig>[0]) {
  const app = newTestApp(false);
  const config = validExampleConfig(edit);
  const stacks: DrpilotStacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  const { runs } = watchNag(() => app.synth());
  const template = Template.fromStack(stacks.control);
  return { app, config, stacks, runs, template, resources: template.toJSON().Resources };
}

describe('RestoreDrill (example config: backups.restoreDrill weekly)', () => {
  let s: ReturnType<typeof synth>;
  let drill: RestoreDrill;
  beforeAll(() => {
    s = synth();
    drill = defined(s.stacks.control.restoreDrill ?? undefined, 'the restore drill');
  });

  it('runs one drill at a time for up to 15 minutes under its CLI name, never retried automatically', () => {
    const fnId = logicalId(s.stacks.control, drill.reactive.fn);
    expect(s.resources[fnId].Properties).toMatchObject({
      FunctionName: 'acme-drpilot-restore',
      ReservedConcurrentExecutions: 1,
      Timeout: 900,
    });
    const invokeConfig = Object.values<TemplateJson>(
      s.template.findResources('AWS::Lambda::EventInvokeConfig'),
    ).find((c) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: fnId }));
    expect(invokeConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    s.template.hasOutput('RestoreFunctionName', { Value: { Ref: fnId } });
  });

  it('drills on the configured schedule and publishes the verified RPO hourly, with manual payloads', () => {
    const rule = (construct: { node: { defaultChild?: unknown } }) =>
      s.resources[logicalId(s.stacks.control, construct)].Properties;
    expect(rule(drill.schedule)).toMatchObject({
      ScheduleExpression: 'rate(7 days)',
      Targets: [{ Input: '{"action":"verify-restore","reason":"scheduled: rate(7 days)"}' }],
    });
    expect(rule(drill.publishSchedule)).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      Targets: [{ Input: '{"action":"publish-verified-rpo","reason":"hourly"}' }],
    });
  });

  it('alarms when the verified RPO exceeds its bound or is not published (missing data breaches)', () => {
    const alarm = s.resources[logicalId(s.stacks.control, drill.verifiedRpoAlarm)].Properties;
    expect(alarm).toMatchObject({
      AlarmName: 'acme-drpilot-verified-rpo',
      Namespace: 'drpilot',
      MetricName: 'VerifiedRpoSeconds',
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 8 * 86400,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarm.Dimensions).toBeUndefined();
    // It pages through the control stack's pager (lib/pager.ts), going to ALARM only.
    const pager = s.stacks.control.node.findChild('Pager') as Pager;
    const pattern =
      s.resources[logicalId(s.stacks.control, pager.alarmRule)].Properties.EventPattern;
    const alarmArn = { 'Fn::GetAtt': [logicalId(s.stacks.control, drill.verifiedRpoAlarm), 'Arn'] };
    const branches: { resources: unknown[]; detail: unknown }[] = pattern.$or;
    expect(
      branches.filter((b) => expect.arrayContaining([alarmArn]).asymmetricMatch(b.resources)),
    ).toEqual([{ resources: expect.anything(), detail: { state: { value: ['ALARM'] } } }]);
  });

  it("reads only the DR bucket's backups/ and restores/, and the DR kubeconfig secret by name, never writes S3", () => {
    const statements = statementsOf(s.stacks.control, drill.reactive);
    const s3 = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    expect(s3.map((st) => [st.Sid, actionsOf(st), st.Resource, st.Condition])).toEqual([
      [
        'ListDrBackupsAndRestores',
        ['s3:ListBucket'],
        'arn:aws:s3:::acme-velero-eu-central-1',
        { StringLike: { 's3:prefix': ['backups/*', 'restores/*'] } },
      ],
      [
        'ReadDrBackupsAndRestores',
        ['s3:GetObject'],
        [
          'arn:aws:s3:::acme-velero-eu-central-1/backups/*',
          'arn:aws:s3:::acme-velero-eu-central-1/restores/*',
        ],
        undefined,
      ],
    ]);
    const secret = statements.find((st) => st.Sid === 'ReadDrKubeconfig');
    expect(secret?.Resource).toBe(
      `arn:aws:secretsmanager:eu-central-1:${TEST_ACCOUNT}:secret:acme/drpilot/dr-restore-drill-kubeconfig-??????`,
    );
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:GetSecretValue',
    ]);
    const unscoped = statements.filter((st) => ([] as unknown[]).concat(st.Resource).includes('*'));
    expect(unscoped.map((st) => actionsOf(st))).toEqual(
      expect.arrayContaining([['cloudwatch:PutMetricData']]),
    );
    expect(
      unscoped.find((st) => actionsOf(st).includes('cloudwatch:PutMetricData'))?.Condition,
    ).toEqual({ StringEquals: { 'cloudwatch:namespace': 'drpilot' } });
  });

  it('is cdk-nag clean', () => {
    expect(s.runs.length).toBeGreaterThan(0);
    expect(nagFindings(s.app)).toEqual([]);
  });
});

describe('RestoreDrill variants', () => {
  it('is not deployed without backups.restoreDrill', () => {
    const s = synth((doc) => delete doc['backups'].restoreDrill);
    expect(s.stacks.control.restoreDrill).toBeNull();
    expect(JSON.stringify(s.template.toJSON())).not.toContain('acme-drpilot-restore');
  });

  it('follows a BSL prefix, a cron schedule and the DR bucket key, and stays cdk-nag clean', () => {
    const s = synth((doc) => {
      doc['backups'].buckets.dr.prefix = 'velero/';
      doc['backups'].buckets.dr.kmsKeyArn = DR_KEY;
      doc['backups'].restoreDrill.schedule = 'cron(0 3 ? * SUN *)';
    });
    const drill = defined(s.stacks.control.restoreDrill ?? undefined, 'the restore drill');
    const statements = statementsOf(s.stacks.control, drill.reactive);
    expect(statements.find((st) => st.Sid === 'ReadDrBackupsAndRestores')?.Resource).toEqual([
      'arn:aws:s3:::acme-velero-eu-central-1/velero/backups/*',
      'arn:aws:s3:::acme-velero-eu-central-1/velero/restores/*',
    ]);
    expect(statements.find((st) => st.Sid === 'DecryptDrBucket')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: DR_KEY,
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } },
    });
    expect(
      s.resources[logicalId(s.stacks.control, drill.schedule)].Properties.ScheduleExpression,
    ).toBe('cron(0 3 ? * SUN *)');
    expect(nagFindings(s.app)).toEqual([]);
  });
});
