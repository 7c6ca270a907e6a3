import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  defined,
  nagFindings,
  newTestApp,
  REPO_ROOT,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
  type TemplateJson,
} from './synth';

/**
 * Who publishes each metric a widget may show, and the text in that file that proves it: for
 * drpilot's own namespace the function code that calls PutMetricData or Powertools (and the
 * constant that names the metric), for AWS namespaces the file that alarms on the same metric or
 * CDK's list of the metrics AWS publishes. `dimensions` are the only dimension sets published.
 */
interface Publisher {
  readonly by: string;
  readonly file: string;
  readonly mentions: readonly (string | RegExp)[];
  readonly dimensions: readonly (readonly string[])[];
  /** `[file, constant]`: where the metric's name is defined, as `constant = '<name>'`. */
  readonly constant?: readonly [string, string];
}

const METRIC_NAMES = 'lambdas/core/metric-names.ts';
const STATES_METRICS =
  'node_modules/aws-cdk-lib/aws-stepfunctions/lib/stepfunctions-canned-metrics.generated.js';
const statesMetric = (metricName: string): Publisher => ({
  by: 'Step Functions (the resize rollout state machine, lib/resize.ts)',
  file: STATES_METRICS,
  mentions: [`namespace:"AWS/States",metricName:"${metricName}"`],
  dimensions: [['StateMachineArn']],
});

const PUBLISHED: Record<string, Publisher> = {
  'drpilot BackupRpoSeconds': {
    by: 'the re-sync function',
    file: 'lambdas/adapters/aws/rpo-metrics.ts',
    mentions: [
      'PutMetricDataCommand',
      'Namespace: METRICS_NAMESPACE',
      'MetricName: RPO_METRIC',
      "Name: 'Schedule'",
    ],
    dimensions: [['Schedule']],
    constant: [METRIC_NAMES, 'RPO_METRIC'],
  },
  'drpilot WorstBackupRpoSeconds': {
    by: 'the re-sync function',
    file: 'lambdas/adapters/aws/rpo-metrics.ts',
    mentions: ['MetricName: WORST_RPO_METRIC', 'Dimensions: []'],
    dimensions: [[]],
    constant: [METRIC_NAMES, 'WORST_RPO_METRIC'],
  },
  'drpilot VerifiedRpoSeconds': {
    by: 'the restore drill function',
    file: 'lambdas/adapters/aws/verified-rpo-metrics.ts',
    mentions: [
      'PutMetricDataCommand',
      'Namespace: METRICS_NAMESPACE',
      'MetricName: VERIFIED_RPO_METRIC',
      "Name: 'Schedule'",
      'Dimensions: []',
    ],
    dimensions: [['Schedule'], []],
    constant: [METRIC_NAMES, 'VERIFIED_RPO_METRIC'],
  },
  'drpilot AksDeliveryProblem': {
    by: 'the AKS sender function',
    file: 'lambdas/adapters/aws/aks-metrics.ts',
    mentions: ['PutMetricDataCommand', 'AKS_PROBLEM_METRIC', "Name: 'Problem'"],
    dimensions: [['Problem']],
    constant: ['lambdas/core/aks/names.ts', 'AKS_PROBLEM_METRIC'],
  },
  'drpilot HandlerErrors': {
    by: 'every function, through Powertools (EMF, dimension service); the restore handler as "restore"',
    file: 'lambdas/shared/powertools.ts',
    mentions: [
      "metrics.addMetric('HandlerErrors', MetricUnit.Count, 1)",
      'new Metrics({ namespace: METRICS_NAMESPACE, serviceName })',
    ],
    dimensions: [['service']],
  },
  'AWS/Route53 HealthCheckStatus': {
    by: 'Route 53 (us-east-1), for the health checks lib/dns.ts creates and alarms on',
    file: 'lib/dns.ts',
    mentions: ["namespace: 'AWS/Route53'", "metricName: 'HealthCheckStatus'", 'HealthCheckId'],
    dimensions: [['HealthCheckId']],
  },
  'AWS/VPN TunnelState': {
    by: 'Site-to-Site VPN, per tunnel; lib/tunnel-watch.ts alarms on it',
    file: 'lib/tunnel-watch.ts',
    mentions: ["namespace: 'AWS/VPN'", "metricName: 'TunnelState'", 'VpnId', 'TunnelIpAddress'],
    dimensions: [['TunnelIpAddress', 'VpnId']],
  },
  'AWS/States ExecutionsSucceeded': statesMetric('ExecutionsSucceeded'),
  'AWS/States ExecutionsFailed': statesMetric('ExecutionsFailed'),
  'AWS/States ExecutionsTimedOut': statesMetric('ExecutionsTimedOut'),
  'AWS/States ExecutionsAborted': statesMetric('ExecutionsAborted'),
};

const source = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

/** One metric a widget graphs: a plain metric, or what a SEARCH expression asks for. */
interface GraphedMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted dimension names. */
  readonly dimensions: string[];
  readonly dimensionValues: Record<string, string>;
  readonly region: string | undefined;
  readonly search: boolean;
}

interface Widget {
  type: string;
  properties: {
    title?: string;
    region?: string;
    markdown?: string;
    alarms?: string[];
    metrics?: unknown[][];
  };
}

/**
 * The dashboard body as CloudFormation will hand it to CloudWatch: the Fn::Join rendered to one
 * string with each token replaced by a readable stand-in (`AWS::Region` by the stack's region, a
 * `Ref` by `<ref:Id>`, a `GetAtt` by `<Id.Attr>`), then parsed.
 */
function renderBody(stack: Stack, body: unknown): { widgets: Widget[] } {
  const resolved = stack.resolve(body) as { 'Fn::Join': [string, unknown[]] } | string;
  if (typeof resolved === 'string') return JSON.parse(resolved);
  const [separator, parts] = resolved['Fn::Join'];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (token.Ref === 'AWS::Region') return stack.region;
      if (token.Ref) return `<ref:${token.Ref}>`;
      if (token['Fn::GetAtt']) return `<${token['Fn::GetAtt'].join('.')}>`;
      throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(part)}`);
    })
    .join(separator);
  return JSON.parse(text);
}

const SEARCH = /^SEARCH\('\{([^,}]+)((?:,[^,}]+)*)\} MetricName="([^"]+)"', '(\w+)', (\d+)\)$/;

function graphedMetrics(widget: Widget): GraphedMetric[] {
  return (widget.properties.metrics ?? []).map((entry) => {
    const last = entry[entry.length - 1];
    const options =
      typeof last === 'object' && last !== null ? (last as Record<string, unknown>) : {};
    if (typeof options.expression === 'string') {
      const match = SEARCH.exec(options.expression);
      if (!match) throw new Error(`not a SEARCH this test reads: ${options.expression}`);
      const [, namespace = '', dims = '', metricName = ''] = match;
      return {
        namespace,
        metricName,
        dimensions: dims.split(',').filter(Boolean).sort(),
        dimensionValues: {},
        region: (options.region as string | undefined) ?? widget.properties.region,
        search: true,
      };
    }
    const [namespace, metricName, ...rest] = entry.filter((e) => typeof e === 'string') as string[];
    // CloudWatch's "..." shorthand repeats the previous row; this body must not use it.
    expect(namespace).not.toBe('...');
    const dimensionValues: Record<string, string> = {};
    for (let i = 0; i + 1 < rest.length; i += 2)
      dimensionValues[rest[i] as string] = rest[i + 1] as string;
    return {
      namespace: namespace as string,
      metricName: metricName as string,
      dimensions: Object.keys(dimensionValues).sort(),
      dimensionValues,
      region: (options.region as string | undefined) ?? widget.properties.region,
      search: false,
    };
  });
}

function synth(dashboard = true) {
  const app = newTestApp(false);
  const config = validExampleConfig((doc) => {
    if (dashboard) doc.observability = { dashboard: true };
  });
  const stacks: DrpilotStacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  const { runs } = watchNag(() => app.synth());
  const all = [stacks.control, stacks.regions.primary, stacks.regions.dr];
  const templates = all.map((stack) => Template.fromStack(stack));
  return { app, config, stacks, runs, all, templates };
}

describe('DrpilotDashboard (opt-in: observability.dashboard)', () => {
  it('is not created by default ($3.00 a month: npm run cost)', () => {
    const plain = synth(false);
    expect(plain.config.observability.dashboard).toBe(false);
    plain.templates.forEach((t) => t.resourceCountIs('AWS::CloudWatch::Dashboard', 0));
    expect(plain.stacks.control.dashboard).toBeNull();
    expect(Object.keys(plain.templates[0]?.findOutputs('DashboardName') ?? {})).toEqual([]);
  });
});

describe('DrpilotDashboard (example config, observability.dashboard: true)', () => {
  let s: ReturnType<typeof synth>;
  let widgets: Widget[];
  beforeAll(() => {
    s = synth();
    const dashboards = Object.values<TemplateJson>(
      s.templates[0]?.findResources('AWS::CloudWatch::Dashboard') ?? {},
    );
    widgets = renderBody(s.stacks.control, dashboards[0]?.Properties.DashboardBody).widgets;
  });

  it('is created once, in the control stack only, and the stack exposes it', () => {
    s.templates[0]?.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    s.templates[0]?.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'acme-drpilot',
    });
    s.templates.slice(1).forEach((t) => t.resourceCountIs('AWS::CloudWatch::Dashboard', 0));
    expect(Stack.of(defined(s.stacks.control.dashboard ?? undefined, 'dashboard').dashboard)).toBe(
      s.stacks.control,
    );
  });

  it('graphs only metrics drpilot or AWS publishes, with the dimensions they are published with', () => {
    const graphed = widgets.filter((w) => w.type === 'metric').flatMap(graphedMetrics);
    expect(graphed.length).toBeGreaterThan(0);
    for (const m of graphed) {
      const key = `${m.namespace} ${m.metricName}`;
      const publisher = PUBLISHED[key];
      expect(publisher, `${key} is in the table of published metrics`).toBeDefined();
      if (!publisher) continue;
      expect(publisher.dimensions, `${key} dimensions`).toContainEqual(m.dimensions);
    }
    // Every source in the table says what the table claims.
    for (const [key, publisher] of Object.entries(PUBLISHED)) {
      const text = source(publisher.file);
      for (const mention of publisher.mentions) {
        if (typeof mention === 'string')
          expect(text, `${publisher.file} (${key})`).toContain(mention);
        else expect(text, `${publisher.file} (${key})`).toMatch(mention);
      }
      if (publisher.constant) {
        const [file, constant] = publisher.constant;
        const metricName = key.split(' ')[1];
        expect(source(file)).toContain(`export const ${constant} = '${metricName}';`);
      }
    }
  });

  it('shows both health checks in us-east-1, the RPOs per schedule, rollouts, tunnels, and the restore errors', () => {
    const graphed = widgets.filter((w) => w.type === 'metric').flatMap(graphedMetrics);
    const health = graphed.filter((m) => m.metricName === 'HealthCheckStatus');
    expect(health.map((m) => m.dimensionValues.HealthCheckId)).toEqual([
      expect.stringMatching(/^<DnsFailoverPrimaryHealthCheck\w+\.HealthCheckId>$/),
      expect.stringMatching(/^<DnsFailoverDrHealthCheck\w+\.HealthCheckId>$/),
    ]);
    expect(new Set(health.map((m) => m.region))).toEqual(new Set(['us-east-1']));

    const searches = graphed.filter((m) => m.search).map((m) => `${m.metricName}/${m.dimensions}`);
    expect(searches).toEqual(
      expect.arrayContaining(['BackupRpoSeconds/Schedule', 'VerifiedRpoSeconds/Schedule']),
    );

    const rollouts = graphed.filter((m) => m.namespace === 'AWS/States');
    expect(new Set(rollouts.map((m) => m.dimensionValues.StateMachineArn))).toEqual(
      new Set(
        ['eu-west-1', 'eu-central-1'].map(
          (region) =>
            `arn:aws:states:${region}:${TEST_ACCOUNT}:stateMachine:acme-drpilot-resize-rollout`,
        ),
      ),
    );
    for (const m of rollouts) expect(m.dimensionValues.StateMachineArn).toContain(`:${m.region}:`);

    const tunnels = graphed.filter((m) => m.metricName === 'TunnelState');
    expect(tunnels.map((m) => [m.region, m.dimensionValues])).toEqual(
      s.config.tunnels?.vpnConnections.flatMap((c) =>
        c.outsideIps.map((ip) => [c.region, { VpnId: c.id, TunnelIpAddress: ip }]),
      ),
    );

    expect(graphed).toContainEqual(
      expect.objectContaining({
        metricName: 'HandlerErrors',
        dimensionValues: { service: 'restore' },
      }),
    );
    expect(source('lambdas/restore/handler.ts')).toMatch(/withObservability\(\s*'restore'/);
  });

  it('lists only alarms the stacks create: control alarms by reference, regional ones by ARN in their region', () => {
    const alarmArns = widgets
      .filter((w) => w.type === 'alarm')
      .flatMap((w) => w.properties.alarms ?? []);
    expect(alarmArns.length).toBeGreaterThan(0);
    const controlAlarmIds = new Set(
      Object.keys(s.templates[0]?.findResources('AWS::CloudWatch::Alarm') ?? {}),
    );
    const regional = new Map<string, Set<string>>();
    s.all.slice(1).forEach((stack, i) => {
      const t = s.templates[i + 1];
      const namesIn = [
        ...Object.values<TemplateJson>(t?.findResources('AWS::CloudWatch::Alarm') ?? {}),
        ...Object.values<TemplateJson>(t?.findResources('AWS::CloudWatch::CompositeAlarm') ?? {}),
      ].map((r) => JSON.stringify(stack.resolve(r.Properties.AlarmName)));
      regional.set(stack.region, new Set(namesIn.map((n) => JSON.parse(n))));
    });
    for (const arn of alarmArns) {
      const local = /^<(\w+)\.Arn>$/.exec(arn);
      if (local) {
        expect(controlAlarmIds, arn).toContain(local[1]);
        continue;
      }
      const match = /^arn:aws:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/.exec(arn);
      expect(match, arn).not.toBeNull();
      const [, region = '', account, name = ''] = match ?? [];
      expect(account).toBe(TEST_ACCOUNT);
      expect(regional.get(region), `${name} in ${region}`).toContain(name);
    }
    // The health alarms, the two tunnels' alarms and the restore drill's two alarms; failed
    // rollouts page through an EventBridge rule (lib/pager.ts), no alarm.
    expect(alarmArns.filter((a) => a.includes(':alarm:acme-drpilot-tunnel.'))).toHaveLength(2);
    expect(alarmArns.filter((a) => a.includes('resize-rollout'))).toEqual([]);
    expect(alarmArns.filter((a) => a.startsWith('<'))).toHaveLength(4);
  });

  it('leaves cdk-nag AwsSolutions clean', () => {
    expect(s.runs.length).toBeGreaterThan(0);
    expect(s.runs.every((r) => r.success)).toBe(true);
    expect(nagFindings(s.app)).toEqual([]);
  });
});
