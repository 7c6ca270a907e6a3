import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tunnelAlarmName } from '../../lambdas/core/aks/names';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import { FLUSH_INPUT, RESOLVER_IPS_INPUT } from '../../lib/aks-events';
import { TUNNELS_INPUT } from '../../lib/tunnel-watch';
import {
  actionsOf,
  type NagRun,
  newTestApp,
  statementsOf,
  logicalId,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';

let config: DrpilotConfig;
let stacks: DrpilotStacks;
let runs: NagRun[];
let control: Template;
let primary: Template;
let dr: Template;

beforeAll(() => {
  const app = newTestApp(false);
  config = validExampleConfig();
  stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  ({ runs } = watchNag(() => app.synth()));
  control = Template.fromStack(stacks.control);
  primary = Template.fromStack(stacks.regions.primary);
  dr = Template.fromStack(stacks.regions.dr);
});

const text = (value: unknown) => JSON.stringify(value);

describe('AWS → AKS sender (control stack)', () => {
  it('passes cdk-nag', () => {
    expect(runs).toEqual([expect.objectContaining({ success: true, violations: 0 })]);
  });

  it('creates the webhook secret with a custom resource that never deletes it, not a CFN secret', () => {
    control.resourceCountIs('AWS::SecretsManager::Secret', 0);
    control.hasResourceProperties('Custom::DrpilotWebhookSecret', {
      SecretName: config.azure!.secretName,
    });
    const creator = statementsOf(stacks.control, stacks.control.aksEvents!.secretResource);
    const create = creator.find((s) => s.Sid === 'CreateTheWebhookSecretUnlessItExists')!;
    expect(actionsOf(create).sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DescribeSecret',
    ]);
    expect(text(create.Resource)).toContain(`secret:${config.azure!.secretName}-??????`);
    expect(creator.flatMap(actionsOf)).not.toContain('secretsmanager:DeleteSecret');
    expect(creator.flatMap(actionsOf)).not.toContain('secretsmanager:PutSecretValue');
  });

  it('runs the flush every minute and the resolver check every 15 minutes', () => {
    for (const [rate, input] of [
      ['rate(1 minute)', FLUSH_INPUT],
      ['rate(15 minutes)', RESOLVER_IPS_INPUT],
    ] as const) {
      control.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: rate,
        Targets: [Match.objectLike({ Input: JSON.stringify(input) })],
      });
    }
  });

  it('alarms on a 401 and on an endpoint without ATTACHED addresses', () => {
    for (const problem of ['unauthorized', 'no-attached-resolver-ips']) {
      control.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${config.name}-drpilot-aks-${problem}`,
        Namespace: 'drpilot',
        MetricName: 'AksDeliveryProblem',
        Dimensions: [{ Name: 'Problem', Value: problem }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    }
    // Both page, going to ALARM and back to OK (test/infra/pager.test.ts reads the rule).
    const pattern = JSON.stringify(
      Object.values<TemplateJson>(control.findResources('AWS::Events::Rule')).find((r) =>
        JSON.stringify(r.Properties.EventPattern ?? {}).includes('"OK"'),
      )?.Properties.EventPattern,
    );
    for (const alarm of Object.values(stacks.control.aksEvents!.problemAlarms)) {
      expect(pattern).toContain(logicalId(stacks.control, alarm));
    }
  });

  it('lets the status function read the one secret (to sign GET …/api/state), and only read it', () => {
    const statements = statementsOf(stacks.control, stacks.control.status.reactive);
    const secrets = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secrets.map((s) => [s.Sid, actionsOf(s)])).toEqual([
      ['ReadTheWebhookSecret', ['secretsmanager:GetSecretValue']],
    ]);
    expect(text(secrets[0]!.Resource)).toContain(`secret:${config.azure!.secretName}-??????`);
  });

  it('limits the sender and the DNS function to the one secret and the two resolver endpoints', () => {
    for (const reactive of [
      stacks.control.aksEvents!.reactive,
      stacks.control.dnsFailover.reactive,
    ]) {
      const statements = statementsOf(stacks.control, reactive);
      const secret = statements.find((s) => s.Sid === 'ReadTheWebhookSecret')!;
      expect(actionsOf(secret)).toEqual(['secretsmanager:GetSecretValue']);
      expect(text(secret.Resource)).toContain(`secret:${config.azure!.secretName}-??????`);
      const resolver = statements.find((s) => s.Sid === 'ReadTheInboundEndpoints')!;
      expect(actionsOf(resolver)).toEqual(['route53resolver:ListResolverEndpointIpAddresses']);
      const endpoints = text(resolver.Resource);
      expect(endpoints).toContain(
        `${config.clusters.primary.region}:${TEST_ACCOUNT}:resolver-endpoint/${config.azure!.resolverEndpoints.primary}`,
      );
      expect(endpoints).toContain(
        `${config.clusters.dr.region}:${TEST_ACCOUNT}:resolver-endpoint/${config.azure!.resolverEndpoints.dr}`,
      );
      expect((resolver.Resource as unknown[]).length).toBe(2);
    }
  });

  it('gives the sender an on-failure destination like every reactive function', () => {
    control.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: Match.anyValue(),
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    const configs = Object.values<TemplateJson>(
      control.findResources('AWS::Lambda::EventInvokeConfig'),
    );
    // CDK's own CallAwsServiceCrossRegion function (the drill runbook's scale-up) is not ours.
    const functions = Object.keys(control.findResources('AWS::Lambda::Function')).filter(
      (id) => !id.startsWith('CrossRegionAwsSdk'),
    );
    expect(configs.length).toBe(functions.length);
  });
});

describe('tunnel watch (region stacks)', () => {
  const vpn = () => config.tunnels!.vpnConnections[0]!;

  it('alarms on each tunnel: TunnelState by VpnId and TunnelIpAddress, 1 minute, missing data breaching', () => {
    for (const ip of vpn().outsideIps) {
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: tunnelAlarmName(config, vpn().id, ip),
        Namespace: 'AWS/VPN',
        MetricName: 'TunnelState',
        Dimensions: Match.arrayWith([{ Name: 'TunnelIpAddress', Value: ip }]),
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: tunnelAlarmName(config, vpn().id, ip),
        Dimensions: Match.arrayWith([{ Name: 'VpnId', Value: vpn().id }]),
      });
    }
  });

  it('has no composite alarms: the tunnel function is the one notification path', () => {
    primary.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    for (const ip of vpn().outsideIps) {
      const [alarm] = Object.values<TemplateJson>(
        primary.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: tunnelAlarmName(config, vpn().id, ip) },
        }),
      );
      expect(alarm?.Properties.AlarmActions ?? []).toEqual([]);
      expect(alarm?.Properties.OKActions ?? []).toEqual([]);
    }
  });

  it('delivers exactly the tunnel alarms to the tunnel function, and re-reads them every 5 minutes', () => {
    const names = vpn().outsideIps.map((ip) => tunnelAlarmName(config, vpn().id, ip));
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: names },
      },
    });
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Input: JSON.stringify(TUNNELS_INPUT) })],
    });
    const read = statementsOf(
      stacks.regions.primary,
      stacks.regions.primary.tunnels!.reactive,
    ).find((s) => s.Sid === 'ReadTheTunnelAlarms')!;
    expect(actionsOf(read)).toEqual(['cloudwatch:DescribeAlarms']);
    expect((read.Resource as unknown[]).length).toBe(2);
  });

  it('puts nothing in a region without a VPN connection', () => {
    expect(stacks.regions.dr.tunnels).toBeNull();
    dr.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
  });
});
