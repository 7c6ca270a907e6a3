import type { CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIDES, type DrpilotConfig, type Side } from '../../lambdas/core/config/schema';
import {
  backupMetadataKeyPattern,
  eventBridgeNotificationCommand,
  forwardedBuckets,
} from '../../lib/resync';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  acknowledgementsIn,
  actionsOf,
  defined,
  nagFindings,
  type NagRun,
  newTestApp,
  type PolicyStatement as Statement,
  resourcesOf,
  synthExampleApp,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';

const PRIMARY_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const CONTROL_BUS = `arn:aws:events:us-east-1:${TEST_ACCOUNT}:event-bus/default`;

interface Synth {
  config: DrpilotConfig;
  stacks: DrpilotStacks;
  runs: NagRun[];
  app: ReturnType<typeof newTestApp>;
}

/** The whole app for a config (no bundling), synthesized with cdk-nag watching. */
function synthWith(edit?: Parameters<typeof validExampleConfig>[0]): Synth {
  const app = newTestApp(false);
  const config = validExampleConfig(edit);
  const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  const { runs } = watchNag(() => app.synth());
  return { config, stacks, runs, app };
}

/** Every statement of every IAM policy attached to the re-sync function's role. */
function resyncStatements(synth: Synth): Statement[] {
  const control = synth.stacks.control;
  const roleId = control.resolve(
    (control.backupResync.reactive.role.node.defaultChild as CfnResource).logicalId,
  ) as string;
  const policies = Template.fromStack(control).findResources('AWS::IAM::Policy');
  return Object.values<TemplateJson>(policies)
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === `{"Ref":"${roleId}"}`),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function objectArns(config: DrpilotConfig): string[] {
  return SIDES.flatMap((side) => {
    const { bucket, prefix } = config.backups.buckets[side];
    return ['backups', 'kopia', 'restic'].map(
      (area) => `arn:aws:s3:::${bucket}/${prefix}${area}/*`,
    );
  }).sort();
}

/** The region stack's rules on S3 events (its other rules deliver node-resize alarms). */
const s3Rules = (template: Template) =>
  template.findResources('AWS::Events::Rule', {
    Properties: { EventPattern: { source: ['aws.s3'] } },
  });

describe('BackupResync (example config)', () => {
  let synth: Synth;
  let template: Template;
  let resources: TemplateJson;
  let functionId: string;

  beforeAll(() => {
    // One synthesis of the example app, the way `cdk synth` runs it: cdk-nag must pass.
    const example = synthExampleApp({ bundle: false });
    synth = {
      config: example.config,
      stacks: example.stacks,
      runs: [],
      app: example.app,
    };
    template = Template.fromStack(synth.stacks.control);
    resources = template.toJSON().Resources;
    const control = synth.stacks.control;
    functionId = control.resolve(
      (control.backupResync.reactive.fn.node.defaultChild as CfnResource).logicalId,
    ) as string;
  });

  it('runs one re-sync at a time for up to 15 minutes with 1 GB, under its CLI name', () => {
    expect(resources[functionId].Properties).toMatchObject({
      FunctionName: 'acme-drpilot-resync',
      ReservedConcurrentExecutions: 1,
      Timeout: 900,
      MemorySize: 1024,
      Handler: 'index.handler',
    });
    template.hasOutput('ResyncFunctionName', { Value: { Ref: functionId } });
  });

  it('is invoked every 5 minutes with a constant manual payload', () => {
    const control = synth.stacks.control;
    const ruleId = control.resolve(
      (control.backupResync.schedule.node.defaultChild as CfnResource).logicalId,
    ) as string;
    const rule = resources[ruleId].Properties;
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(JSON.parse(rule.Targets[0].Input)).toEqual({
      action: 'resync',
      reason: 'scheduled every 5 minutes',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it("is invoked when a velero-backup.json lands in either bucket, with the object's address", () => {
    const control = synth.stacks.control;
    const ruleId = control.resolve(
      (control.backupResync.backupWritten.node.defaultChild as CfnResource).logicalId,
    ) as string;
    const rule = resources[ruleId].Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        $or: [
          {
            bucket: { name: ['acme-velero-eu-west-1'] },
            object: { key: [{ wildcard: 'backups/*/velero-backup.json' }] },
          },
          {
            bucket: { name: ['acme-velero-eu-central-1'] },
            object: { key: [{ wildcard: 'backups/*/velero-backup.json' }] },
          },
        ],
      },
    });
    expect(rule.Targets).toEqual([
      {
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Id: 'Target0',
        InputTransformer: {
          InputPathsMap: {
            'detail-bucket-name': '$.detail.bucket.name',
            'detail-object-key': '$.detail.object.key',
          },
          InputTemplate:
            '{"action":"resync","reason":"velero-backup.json written: s3://<detail-bucket-name>/<detail-object-key>"}',
        },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  describe.each(SIDES)('%s region stack', (side: Side) => {
    it("forwards its bucket's velero-backup.json events to the control region's default bus", () => {
      const stack = synth.stacks.regions[side];
      const { bucket } = synth.config.backups.buckets[side];
      const regional = Template.fromStack(stack);
      const rules = s3Rules(regional);
      expect(Object.keys(rules)).toHaveLength(1);
      const rule = defined(Object.values<TemplateJson>(rules)[0], 'the forwarding rule').Properties;
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [bucket] },
          object: { key: [{ wildcard: 'backups/*/velero-backup.json' }] },
        },
      });
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      // Derived from the config and the account: a literal ARN, no cross-stack reference.
      expect(target.Arn).toBe(CONTROL_BUS);
      expect(target.Input).toBeUndefined();
      expect(target.InputTransformer).toBeUndefined();
      const roleId = defined(target.RoleArn['Fn::GetAtt']?.[0], 'the target role') as string;
      regional.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Effect: 'Allow' }),
          ],
        },
      });
      regional.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: CONTROL_BUS }],
        },
      });
      expect(stack.dependencies).toEqual([]);
    });
  });

  describe('IAM', () => {
    let statements: Statement[];
    beforeAll(() => {
      statements = resyncStatements(synth);
    });

    it('lists each bucket only under <prefix>backups/, kopia/ and restic/', () => {
      const lists = statements.filter((s) => actionsOf(s).includes('s3:ListBucket'));
      expect(lists).toHaveLength(2);
      for (const side of SIDES) {
        const { bucket } = synth.config.backups.buckets[side];
        const statement = defined(
          lists.find((s) => s.Resource === `arn:aws:s3:::${bucket}`),
          `the ListBucket statement of ${bucket}`,
        );
        expect(actionsOf(statement)).toEqual(['s3:ListBucket']);
        expect(statement.Condition).toEqual({
          StringLikeIfExists: { 's3:prefix': ['', 'backups/*', 'kopia/*', 'restic/*'] },
        });
      }
    });

    it('reads and writes objects only under the three areas of both buckets', () => {
      const objects = statements.filter((s) =>
        actionsOf(s).some(
          (a) => a.startsWith('s3:') && a !== 's3:ListBucket' && a !== 's3:GetBucketVersioning',
        ),
      );
      expect(objects).toHaveLength(1);
      const [statement] = objects;
      expect(actionsOf(defined(statement, 'object statement')).sort()).toEqual([
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListMultipartUploadParts',
        's3:PutObject',
      ]);
      expect(
        (resourcesOf(defined(statement, 'object statement')) as string[]).slice().sort(),
      ).toEqual(objectArns(synth.config));
      expect(statement?.Condition).toBeUndefined();
    });

    it('has no S3 or KMS action wildcard and no S3 resource beyond the two buckets', () => {
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('s3:') && a.includes('*'))).toEqual([]);
      const s3Resources = statements
        .filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))
        .flatMap(resourcesOf);
      for (const resource of s3Resources) {
        expect(resource).toMatch(
          /^arn:aws:s3:::acme-velero-eu-(west|central)-1(\/(backups|kopia|restic)\/\*)?$/,
        );
      }
    });

    it('publishes metrics only into the drpilot namespace', () => {
      const put = statements.filter((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));
      expect(put).toEqual([
        {
          Action: 'cloudwatch:PutMetricData',
          Effect: 'Allow',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'drpilot' } },
        },
      ]);
      const acks = acknowledgementsIn(synth.stacks.control.backupResync).filter(
        (a) => a.id === 'AwsSolutions-IAM5[Resource::*]' && /PutMetricData/.test(a.reason),
      );
      expect(acks).toHaveLength(1);
    });

    it('reads the hosted zone and reads/writes the state table (no key by default)', () => {
      const zone = statements.filter((s) =>
        actionsOf(s).includes('route53:ListResourceRecordSets'),
      );
      expect(zone).toEqual([
        expect.objectContaining({
          Action: 'route53:ListResourceRecordSets',
          Resource: 'arn:aws:route53:::hostedzone/Z0123456789',
        }),
      ]);
      const tableIds = Object.keys(template.findResources('AWS::DynamoDB::Table'));
      const table = statements.find((s) => actionsOf(s).includes('dynamodb:PutItem'));
      expect(actionsOf(defined(table, 'table statement'))).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:ConditionCheckItem',
        ]),
      );
      expect(table?.Resource).toEqual({ 'Fn::GetAtt': [tableIds[0], 'Arn'] });
      const keyUse = statements.filter((s) => actionsOf(s).includes('kms:Decrypt'));
      // No key at all: the state table and the failure queue are service-encrypted (encryption
      // "service-managed", the default) and the example buckets use SSE-S3.
      expect(keyUse).toEqual([]);
      expect(statements.some((s) => s.Sid?.startsWith('UseVeleroKey'))).toBe(false);
    });

    it('acknowledges the object wildcards of exactly those prefixes, with a reason', () => {
      const acks = acknowledgementsIn(synth.stacks.control.backupResync).filter((a) =>
        a.id.startsWith('AwsSolutions-IAM5[Resource::arn:aws:s3'),
      );
      expect(acks.map((a) => a.id.slice('AwsSolutions-IAM5[Resource::'.length, -1)).sort()).toEqual(
        objectArns(synth.config),
      );
      for (const ack of acks) expect(ack.reason).toMatch(/backups\/, kopia\/ and restic\//);
    });
  });

  it('alarms when the worst RPO passes rpoAlarmSeconds or is not published at all', () => {
    const control = synth.stacks.control;
    const alarmId = control.resolve(
      (control.backupResync.rpoAlarm.node.defaultChild as CfnResource).logicalId,
    ) as string;
    expect(resources[alarmId].Properties).toEqual({
      AlarmName: 'acme-drpilot-backup-rpo',
      AlarmDescription: expect.stringContaining('7200 s'),
      Namespace: 'drpilot',
      MetricName: 'WorstBackupRpoSeconds',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: synth.config.backups.rpoAlarmSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    expect(resources[alarmId].Properties.Dimensions).toBeUndefined();
    // It pages through the control stack's pager (lib/pager.ts).
    const pagerRule = Object.entries<TemplateJson>(resources).find(([id]) =>
      id.startsWith('PagerAlarmStateChanged'),
    );
    expect(JSON.stringify(pagerRule?.[1].Properties.EventPattern)).toContain(`"${alarmId}"`);
  });

  it('prints the command that turns on EventBridge notifications for each bucket', () => {
    template.hasOutput('VeleroBucketEventsCommandPrimary', {
      Value:
        'aws s3api put-bucket-notification-configuration --region eu-west-1 --bucket acme-velero-eu-west-1 --notification-configuration \'{"EventBridgeConfiguration":{}}\'',
    });
    template.hasOutput('VeleroBucketEventsCommandDr', {
      Value: eventBridgeNotificationCommand(synth.config, 'dr'),
    });
    expect(eventBridgeNotificationCommand(synth.config, 'dr')).toContain(
      '--region eu-central-1 --bucket acme-velero-eu-central-1',
    );
  });
});

describe('BackupResync with BSL prefixes and a customer-managed key on one bucket', () => {
  let synth: Synth;
  let statements: Statement[];

  beforeAll(() => {
    synth = synthWith((doc) => {
      doc.backups.buckets.primary.kmsKeyArn = PRIMARY_KEY;
      doc.backups.buckets.dr.prefix = 'velero/dr/';
    });
    statements = resyncStatements(synth);
  });

  it('stays clean under cdk-nag (the acknowledgements follow the prefixes)', () => {
    expect(synth.runs).toEqual([{ scope: synth.app, success: true, violations: 0 }]);
    expect(nagFindings(synth.app)).toEqual([]);
  });

  it('scopes listing and objects to the prefixed areas', () => {
    const drList = statements.find((s) => s.Resource === 'arn:aws:s3:::acme-velero-eu-central-1');
    expect(drList?.Condition).toEqual({
      StringLike: {
        's3:prefix': [
          'velero/dr/',
          'velero/dr/backups/*',
          'velero/dr/kopia/*',
          'velero/dr/restic/*',
        ],
      },
    });
    const objects = statements.find((s) => actionsOf(s).includes('s3:PutObject'));
    expect((resourcesOf(defined(objects, 'objects')) as string[]).slice().sort()).toEqual(
      objectArns(synth.config),
    );
    expect(objectArns(synth.config)).toContain(
      'arn:aws:s3:::acme-velero-eu-central-1/velero/dr/kopia/*',
    );
  });

  it('uses the configured key only through S3 in its bucket region, and only that key', () => {
    const veleroKeys = statements.filter((s) => s.Sid?.startsWith('UseVeleroKey'));
    expect(veleroKeys).toEqual([
      {
        Sid: 'UseVeleroKeyPrimary',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: PRIMARY_KEY,
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  it('matches the prefixed commit markers in the region and control rules', () => {
    const dr = Template.fromStack(synth.stacks.regions.dr);
    dr.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: {
          bucket: { name: ['acme-velero-eu-central-1'] },
          object: { key: [{ wildcard: 'velero/dr/backups/*/velero-backup.json' }] },
        },
      }),
    });
    const control = Template.fromStack(synth.stacks.control);
    control.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: {
          $or: Match.arrayWith([
            {
              bucket: { name: ['acme-velero-eu-central-1'] },
              object: { key: [{ wildcard: 'velero/dr/backups/*/velero-backup.json' }] },
            },
          ]),
        },
      }),
    });
  });
});

it('escapes wildcard characters of a prefix in the event pattern', () => {
  expect(backupMetadataKeyPattern('')).toBe('backups/*/velero-backup.json');
  expect(backupMetadataKeyPattern('a*b\\c/')).toBe('a\\*b\\\\c/backups/*/velero-backup.json');
});

describe('which stack forwards which bucket', () => {
  it('the stack of the bucket region; none for a bucket in the control region', () => {
    const example = validExampleConfig();
    expect(forwardedBuckets(example, 'primary')).toEqual(['primary']);
    expect(forwardedBuckets(example, 'dr')).toEqual(['dr']);

    const drInControl = validExampleConfig((doc) => {
      doc.clusters.dr.region = 'us-east-1';
      doc.backups.buckets.dr.region = 'us-east-1';
    });
    expect(forwardedBuckets(drInControl, 'dr')).toEqual([]);
    expect(forwardedBuckets(drInControl, 'primary')).toEqual(['primary']);
  });

  it('builds no forwarding rule where the control rule sees the events directly', () => {
    const synth = synthWith((doc) => {
      doc.clusters.dr.region = 'us-east-1';
      doc.backups.buckets.dr.region = 'us-east-1';
    });
    expect(Object.keys(s3Rules(Template.fromStack(synth.stacks.regions.dr)))).toHaveLength(0);
    expect(Object.keys(s3Rules(Template.fromStack(synth.stacks.regions.primary)))).toHaveLength(1);
    expect(synth.runs).toEqual([{ scope: synth.app, success: true, violations: 0 }]);
  });

  it('refuses a bucket in a region where drpilot has no stack', () => {
    const elsewhere = validExampleConfig((doc) => {
      doc.backups.buckets.dr.region = 'ap-southeast-2';
    });
    expect(() => forwardedBuckets(elsewhere, 'dr')).toThrow(
      /backups\.buckets\.dr\.region ap-southeast-2: drpilot has no stack there/,
    );
  });
});
