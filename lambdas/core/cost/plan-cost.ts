/**
 * drpilot's own monthly cost, planned from the synthesized CloudFormation templates (cdk.out) at
 * the dated list prices in ./prices.ts. Pure: templates and assumptions in, a priced table out.
 *
 * What is counted comes from the templates (health checks, keys, alarms, functions and the rules
 * that invoke them, state machines, tables, queues, topics, secrets, log groups); what happens at
 * run time (how long a function runs, how many events arrive, how many nodes there are) comes
 * from the assumptions, which the table lists next to its lines.
 */
import type { NodeGroupConfig } from '../config/schema';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES, PRICES_AS_OF, PRICES_REGION } from './prices';
import { firesPerMonth } from './schedule';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
}

export interface NamedTemplate {
  /** The stack (or template file) name, for the per-stack counts. */
  readonly stack: string;
  readonly template: CfnTemplate;
}

/**
 * `per-member`: an `ec2` node group whose alarms are `members`, or `auto` without the CloudWatch
 * agent's group metric (an up/down alarm pair per member instance: tag-selected instances share no
 * dimension). `per-group`: one pair per node group and the one custom metric it watches — an `ec2`
 * group on the agent's `DrpilotGroup` rollup (alarms `group`, or `auto` once the agent publishes
 * it), or an Auto Scaling kind on `AutoScalingGroupName` (for cpu that metric is AWS/EC2's and
 * free: priced anyway, $0.30). `scale-up-only`: a design measured here,
 * not built — one scale-up alarm per member, and scale-down planned by a scheduled re-plan that
 * reads every member's metric with GetMetricData every `scaleDownReviewMinutes`.
 *
 * A Metrics Insights query alarm or a metric-math alarm over the members would not be cheaper:
 * CloudWatch bills the first per metric it analyzes and the second per metric in it
 * (https://aws.amazon.com/cloudwatch/pricing/, "Alarms").
 */
export const MEMBER_ALARM_MODES = ['per-member', 'per-group', 'scale-up-only'] as const;
export type MemberAlarmMode = (typeof MEMBER_ALARM_MODES)[number];

/**
 * How the config's node groups are priced: an `ec2` group with alarms `members` per member, every
 * other one per group — an `ec2` group with alarms `auto` on the assumption that its members run
 * the CloudWatch agent with `drpilot agent-config`'s fragment (without it, `auto` falls back to
 * per-member pairs, which `--member-alarms per-member` prices).
 */
export function alarmCostModes(
  nodeGroups: readonly Pick<NodeGroupConfig, 'id' | 'kind' | 'alarms'>[],
): Record<string, MemberAlarmMode> {
  return Object.fromEntries(
    nodeGroups.map((g) => [
      g.id,
      g.kind === 'ec2' && g.alarms === 'members' ? 'per-member' : 'per-group',
    ]),
  );
}

/** The monthly goals for drpilot's own resources (issue 14), by node count. */
export const COST_GOALS: readonly { nodes: number; underUsd: number }[] = [
  { nodes: 3, underUsd: 10 },
  { nodes: 100, underUsd: 15 },
];

export interface CostAssumptions {
  /** Nodes across all node groups (each a member of one group). */
  readonly nodes: number;
  /** How the alarms of a node group absent from `groupAlarms` are priced. */
  readonly memberAlarms: MemberAlarmMode;
  /**
   * Per node group id, how its alarms are priced: from the config by `alarmCostModes`. The nodes
   * are spread evenly over the node groups.
   */
  readonly groupAlarms: Readonly<Record<string, MemberAlarmMode>>;
  /** Whether the health-checked endpoints are AWS endpoints (ELB/EC2 in this account). */
  readonly healthCheckEndpoints: 'aws' | 'non-aws';
  /** Age of the KMS keys in years: rotation adds a backing key a year, charged up to two. */
  readonly keyAgeYears: number;
  /** Average billed duration of one invocation, every function. */
  readonly averageDurationMs: number;
  /** Invocations per month from each event-pattern rule that targets a function. */
  readonly eventInvocationsPerRule: number;
  /** Rollouts per state machine per month. */
  readonly rolloutsPerStateMachine: number;
  /** State transitions of a rollout: fixed part, and per node it moves. */
  readonly transitionsPerRollout: number;
  readonly transitionsPerNodeRollout: number;
  /** Bytes of logs one invocation writes (JSON lines, EMF, platform report). */
  readonly logBytesPerInvocation: number;
  /** State-table request units per invocation (leases, cooldowns, audit, outbox). */
  readonly stateTableWritesPerInvocation: number;
  readonly stateTableReadsPerInvocation: number;
  /** Size of each state table (audit trail and outbox, trimmed by TTL). */
  readonly stateTableGb: number;
  /** KMS requests per invocation (SQS, SNS, DynamoDB and Logs cache their data keys). */
  readonly kmsRequestsPerInvocation: number;
  /** `scale-up-only` member alarms: how often the re-plan reads every member's metric. */
  readonly scaleDownReviewMinutes: number;
  /** GetSecretValue calls per secret per month (cached per container). */
  readonly secretCallsPerSecret: number;
  /** Notifications published per topic per month. */
  readonly publishesPerTopic: number;
  /** drpilot custom metrics that no alarm watches (the per-schedule RPO metrics). */
  readonly extraCustomMetrics: number;
  /**
   * ReceiveMessage calls a month of one SQS event source mapping while its queue is empty: Lambda
   * long-polls (20 s) with at least 5 pollers, 5 × 3 a minute.
   */
  readonly sqsPollsPerMapping: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  nodes: 3,
  memberAlarms: 'per-member',
  groupAlarms: {},
  healthCheckEndpoints: 'aws',
  keyAgeYears: 1,
  averageDurationMs: 1_000,
  eventInvocationsPerRule: 100,
  rolloutsPerStateMachine: 4,
  transitionsPerRollout: 10,
  transitionsPerNodeRollout: 8,
  logBytesPerInvocation: 2_048,
  stateTableWritesPerInvocation: 2,
  stateTableReadsPerInvocation: 2,
  stateTableGb: 0.1,
  kmsRequestsPerInvocation: 1,
  scaleDownReviewMinutes: 60,
  secretCallsPerSecret: 3_000,
  publishesPerTopic: 100,
  extraCustomMetrics: 2,
  sqsPollsPerMapping: 5 * 3 * 60 * 730,
};

export type CostService =
  | 'Route 53'
  | 'KMS'
  | 'CloudWatch alarms'
  | 'CloudWatch metrics'
  | 'CloudWatch API'
  | 'CloudWatch Logs'
  | 'Lambda'
  | 'Step Functions'
  | 'DynamoDB'
  | 'SQS'
  | 'SNS'
  | 'Secrets Manager'
  | 'X-Ray';

export interface CostLine {
  readonly service: CostService;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  /** quantity × unitPrice, USD per month. */
  readonly monthly: number;
  /** Whether the quantity grows with the node count. */
  readonly perNode: boolean;
}

export interface CostTable {
  readonly pricesAsOf: string;
  readonly region: string;
  readonly assumptions: CostAssumptions;
  readonly lines: CostLine[];
  /** USD per month, to the cent. */
  readonly total: number;
  /** Resources per CloudFormation type, all stacks. */
  readonly resourceCounts: Record<string, number>;
  /** Types seen that cost nothing by themselves (IAM, permissions, rules on the default bus…). */
  readonly freeTypes: string[];
  /** Types seen that the planner has no price for: a new one must be priced or listed as free. */
  readonly unpricedTypes: string[];
  /** Invocations per month per function (logical id in its stack). */
  readonly invocations: { stack: string; fn: string; perMonth: number }[];
  /** Node groups found from their alarm rules. */
  readonly nodeGroups: string[];
}

/** Types that carry no charge of their own (their use is priced on the lines they feed). */
export const FREE_TYPES: ReadonlySet<string> = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::KMS::Alias',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::SQS::QueuePolicy',
  // Scheduled rules and AWS service events on the default bus are free.
  'AWS::Events::Rule',
  'AWS::CDK::Metadata',
  // The hosted zone's records are the user's (drpilot owns no zone); changing them is free.
  'AWS::Route53::RecordSet',
  // The drill-report bucket and its access-log bucket: a bucket has no charge of its own, and a
  // drill's report (a few KB of Markdown, SVG and JSON, plus its log lines) costs far under a cent
  // a month in S3 Standard storage and PUT requests at one drill a week.
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  // An EKS access entry maps a role to a Kubernetes group; EKS charges for clusters, not entries.
  'AWS::EKS::AccessEntry',
]);

const PRICED_TYPES: ReadonlySet<string> = new Set([
  'AWS::Route53::HealthCheck',
  'AWS::KMS::Key',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::Lambda::Function',
  'AWS::StepFunctions::StateMachine',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Dashboard',
  'AWS::Route53::HostedZone',
  'AWS::Lambda::EventSourceMapping',
]);

type Props = Record<string, unknown>;
interface Found {
  stack: string;
  id: string;
  props: Props;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The logical id an intrinsic (`Ref` or `Fn::GetAtt`) points at, if any. */
function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** A custom resource that creates a secret (drpilot's webhook secret is one). */
const isSecretCustomResource = (type: string, props: Props) =>
  type.startsWith('Custom::') && typeof props.SecretName === 'string';

const round2 = (n: number) => Math.round(n * 100) / 100;

function line(
  service: CostService,
  item: string,
  quantity: number,
  unit: string,
  unitPrice: number,
  perNode = false,
): CostLine {
  return { service, item, quantity, unit, unitPrice, monthly: quantity * unitPrice, perNode };
}

/** The node group ids whose member alarms a rule listens to (`…-drpilot-resize.<group>.`). */
function nodeGroupsOf(props: Props): string[] {
  const text = JSON.stringify(props.EventPattern ?? '');
  return [...text.matchAll(/-drpilot-resize\.([A-Za-z0-9-]+)\./g)].map((m) => m[1] ?? '');
}

/** The alarm metrics an alarm is billed for, and whether it is high-resolution. */
function alarmMetrics(props: Props): { metrics: number; insights: boolean; highRes: boolean } {
  const queries = Array.isArray(props.Metrics) ? props.Metrics.filter(isRecord) : [];
  if (queries.length === 0) {
    return { metrics: 1, insights: false, highRes: Number(props.Period ?? 60) < 60 };
  }
  const insights = queries.some(
    (q) => typeof q.Expression === 'string' && /^\s*SELECT\b/i.test(q.Expression),
  );
  const stats = queries.filter((q) => isRecord(q.MetricStat));
  const highRes = queries.some((q) => {
    const period = isRecord(q.MetricStat) ? q.MetricStat.Period : q.Period;
    return period !== undefined && Number(period) < 60;
  });
  // An anomaly-detection band bills three metrics per metric it models.
  const anomaly = queries.some(
    (q) => typeof q.Expression === 'string' && /ANOMALY_DETECTION_BAND/.test(q.Expression),
  );
  return { metrics: Math.max(1, stats.length) * (anomaly ? 3 : 1), insights, highRes };
}

/** Distinct custom (non-`AWS/`) metrics an alarm watches, as keys. */
function customMetricKeys(props: Props): string[] {
  const key = (namespace: unknown, name: unknown, dims: unknown) =>
    typeof namespace === 'string' && !namespace.startsWith('AWS/')
      ? [`${namespace}|${String(name)}|${JSON.stringify(dims ?? [])}`]
      : [];
  if (props.MetricName !== undefined)
    return key(props.Namespace, props.MetricName, props.Dimensions);
  const queries = Array.isArray(props.Metrics) ? props.Metrics.filter(isRecord) : [];
  return queries.flatMap((q) => {
    const metric =
      isRecord(q.MetricStat) && isRecord(q.MetricStat.Metric) ? q.MetricStat.Metric : null;
    return metric ? key(metric.Namespace, metric.MetricName, metric.Dimensions) : [];
  });
}

/**
 * The monthly cost of the stacks in `templates` under `assumptions` (defaults filled in). Every
 * resource type in the templates is either priced, known to be free, or listed as unpriced.
 */
export function planCost(
  templates: readonly NamedTemplate[],
  overrides: Partial<CostAssumptions> = {},
): CostTable {
  const a: CostAssumptions = { ...DEFAULT_ASSUMPTIONS, ...overrides };
  if (!Number.isInteger(a.nodes) || a.nodes < 0) throw new Error('nodes: a whole number ≥ 0');

  const byType = new Map<string, Found[]>();
  const resourceCounts: Record<string, number> = {};
  const secretCustomTypes = new Set<string>();
  const otherCustomTypes = new Set<string>();
  for (const { stack, template } of templates) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      let type = resource.Type;
      if (type.startsWith('Custom::')) {
        if (isSecretCustomResource(type, props)) {
          secretCustomTypes.add(type);
          type = 'AWS::SecretsManager::Secret';
        } else otherCustomTypes.add(type);
      }
      resourceCounts[resource.Type] = (resourceCounts[resource.Type] ?? 0) + 1;
      byType.set(type, [...(byType.get(type) ?? []), { stack, id, props }]);
    }
  }
  const of = (type: string) => byType.get(type) ?? [];
  const seenTypes = Object.keys(resourceCounts).sort();
  const freeTypes = seenTypes.filter((t) => FREE_TYPES.has(t));
  const unpricedTypes = seenTypes.filter(
    (t) =>
      !FREE_TYPES.has(t) &&
      !PRICED_TYPES.has(t) &&
      !(secretCustomTypes.has(t) && !otherCustomTypes.has(t)),
  );

  const lines: CostLine[] = [];

  // Route 53 health checks: a base price by endpoint kind plus each optional feature.
  const aws = a.healthCheckEndpoints === 'aws';
  const base = aws
    ? PRICES.route53.healthCheckAwsEndpoint
    : PRICES.route53.healthCheckNonAwsEndpoint;
  const feature = aws
    ? PRICES.route53.optionalFeatureAwsEndpoint
    : PRICES.route53.optionalFeatureNonAwsEndpoint;
  const checkKinds = new Map<string, { count: number; price: number }>();
  for (const { props } of of('AWS::Route53::HealthCheck')) {
    const config = isRecord(props.HealthCheckConfig) ? props.HealthCheckConfig : {};
    const type = String(config.Type ?? 'HTTP');
    const interval = Number(config.RequestInterval ?? 30);
    const features =
      (type.startsWith('HTTPS') ? 1 : 0) +
      (type.endsWith('STR_MATCH') ? 1 : 0) +
      (interval === 10 ? 1 : 0) +
      (config.MeasureLatency === true ? 1 : 0);
    const calculated = type === 'CALCULATED' || type === 'CLOUDWATCH_METRIC';
    const price = calculated ? PRICES.route53.healthCheckAwsEndpoint : base + features * feature;
    const label = `${type} health check, ${interval} s${config.MeasureLatency === true ? ', latency' : ''}${aws || calculated ? '' : ', non-AWS endpoint'}`;
    const entry = checkKinds.get(label) ?? { count: 0, price };
    checkKinds.set(label, { count: entry.count + 1, price });
  }
  for (const [label, { count, price }] of checkKinds) {
    lines.push(line('Route 53', label, count, 'check-month', price));
  }
  const zones = of('AWS::Route53::HostedZone').length;
  if (zones > 0) {
    lines.push(line('Route 53', 'hosted zones', zones, 'zone-month', PRICES.route53.hostedZone));
  }

  // KMS: customer managed keys, their rotated backing keys, and requests (below, per invocation).
  const keys = of('AWS::KMS::Key');
  lines.push(line('KMS', 'customer managed keys', keys.length, 'key-month', PRICES.kms.keyMonth));
  const rotations = Math.min(
    Math.max(0, Math.ceil(a.keyAgeYears) - 1),
    PRICES.kms.maxChargedRotations,
  );
  const rotating = keys.filter((k) => k.props.EnableKeyRotation === true).length;
  if (rotating > 0) {
    lines.push(
      line(
        'KMS',
        `rotated backing keys (year ${Math.ceil(a.keyAgeYears)}: ${rotations} per key)`,
        rotating * rotations,
        'key-month',
        PRICES.kms.rotatedBackingKeyMonth,
      ),
    );
  }

  // CloudWatch alarms in the templates.
  let standard = 0;
  let highRes = 0;
  let insights = 0;
  const customMetrics = new Set<string>();
  for (const { props } of of('AWS::CloudWatch::Alarm')) {
    const billed = alarmMetrics(props);
    if (billed.insights) insights += billed.metrics;
    else if (billed.highRes) highRes += billed.metrics;
    else standard += billed.metrics;
    for (const k of customMetricKeys(props)) customMetrics.add(k);
  }
  const { cloudwatch } = PRICES;
  lines.push(
    line(
      'CloudWatch alarms',
      'standard-resolution alarm metrics (templates)',
      standard,
      'alarm-metric-month',
      cloudwatch.standardAlarmMetric,
    ),
  );
  if (highRes > 0) {
    lines.push(
      line(
        'CloudWatch alarms',
        'high-resolution alarm metrics',
        highRes,
        'alarm-metric-month',
        cloudwatch.highResolutionAlarmMetric,
      ),
    );
  }
  if (insights > 0) {
    lines.push(
      line(
        'CloudWatch alarms',
        'Metrics Insights alarms (1 analyzed metric each)',
        insights,
        'metric-month',
        cloudwatch.metricsInsightsAlarmMetric,
      ),
    );
  }
  lines.push(
    line(
      'CloudWatch alarms',
      'composite alarms',
      of('AWS::CloudWatch::CompositeAlarm').length,
      'alarm-month',
      cloudwatch.compositeAlarm,
    ),
  );

  // The member alarms the resize-alarms function keeps at run time (not in the templates).
  const nodeGroups = [...new Set(of('AWS::Events::Rule').flatMap((r) => nodeGroupsOf(r.props)))];
  for (const mode of MEMBER_ALARM_MODES) {
    const count = nodeGroups.filter((id) => (a.groupAlarms[id] ?? a.memberAlarms) === mode).length;
    if (count === 0) continue;
    // The nodes spread evenly over the groups; all of them when every group is priced alike.
    const nodes =
      count === nodeGroups.length ? a.nodes : Math.round((a.nodes * count) / nodeGroups.length);
    const groups = `${count} groups`;
    if (mode === 'per-group') {
      lines.push(
        line(
          'CloudWatch alarms',
          `node group alarms (up/down pair per group, ${groups})`,
          2 * count,
          'alarm-metric-month',
          cloudwatch.standardAlarmMetric,
        ),
        line(
          'CloudWatch metrics',
          `node group metrics (the one each group pair watches, ${groups})`,
          count,
          'metric-month',
          cloudwatch.customMetric,
        ),
      );
    } else if (mode === 'per-member') {
      lines.push(
        line(
          'CloudWatch alarms',
          `node group member alarms (up/down pair per node, ${groups})`,
          2 * nodes,
          'alarm-metric-month',
          cloudwatch.standardAlarmMetric,
          true,
        ),
      );
    } else {
      lines.push(
        line(
          'CloudWatch alarms',
          `node group member alarms (scale-up alarm per node, ${groups})`,
          nodes,
          'alarm-metric-month',
          cloudwatch.standardAlarmMetric,
          true,
        ),
      );
      lines.push(
        line(
          'CloudWatch API',
          `GetMetricData of every member each ${a.scaleDownReviewMinutes} min (scale-down re-plan)`,
          nodes * ((HOURS_PER_MONTH * 60) / a.scaleDownReviewMinutes),
          'metric requested',
          cloudwatch.getMetricDataMetric,
          true,
        ),
      );
    }
  }
  const dashboards = of('AWS::CloudWatch::Dashboard').length;
  if (dashboards > 0) {
    lines.push(
      line('CloudWatch metrics', 'dashboards', dashboards, 'dashboard-month', cloudwatch.dashboard),
    );
  }
  lines.push(
    line(
      'CloudWatch metrics',
      'custom metrics (alarmed, plus assumed per-schedule RPO)',
      customMetrics.size + a.extraCustomMetrics,
      'metric-month',
      cloudwatch.customMetric,
    ),
  );

  // Lambda: invocations from the rules that target each function.
  const functions = of('AWS::Lambda::Function');
  const perFunction = new Map<string, number>();
  const keyOf = (stack: string, id: string) => `${stack}/${id}`;
  for (const { stack, props } of of('AWS::Events::Rule')) {
    if (props.State === 'DISABLED') continue;
    const targets = Array.isArray(props.Targets) ? props.Targets.filter(isRecord) : [];
    const fired =
      typeof props.ScheduleExpression === 'string'
        ? firesPerMonth(props.ScheduleExpression)
        : a.eventInvocationsPerRule;
    for (const target of targets) {
      const id = referencedId(target.Arn);
      if (id && functions.some((f) => f.stack === stack && f.id === id)) {
        perFunction.set(keyOf(stack, id), (perFunction.get(keyOf(stack, id)) ?? 0) + fired);
      }
    }
  }
  const mappings = of('AWS::Lambda::EventSourceMapping');
  for (const { stack, props } of mappings) {
    const id = referencedId(props.FunctionName);
    if (id && functions.some((f) => f.stack === stack && f.id === id)) {
      const key = keyOf(stack, id);
      perFunction.set(key, (perFunction.get(key) ?? 0) + a.eventInvocationsPerRule);
    }
  }
  const invocations = functions.map(({ stack, id }) => ({
    stack,
    fn: id,
    perMonth: perFunction.get(keyOf(stack, id)) ?? 0,
  }));
  const totalInvocations = invocations.reduce((sum, i) => sum + i.perMonth, 0);
  let armGbSeconds = 0;
  let x86GbSeconds = 0;
  let traced = 0;
  const logGroups = of('AWS::Logs::LogGroup');
  const retentionOf = (stack: string, props: Props): number => {
    const config = isRecord(props.LoggingConfig) ? props.LoggingConfig : {};
    const groupId = referencedId(config.LogGroup);
    const group = logGroups.find((g) => g.stack === stack && g.id === groupId);
    const days = group?.props.RetentionInDays;
    // Never-expiring logs are counted as a year of storage.
    return typeof days === 'number' ? days : 365;
  };
  let logStorageGb = 0;
  const gib = 1024 ** 3;
  for (const { stack, id, props } of functions) {
    const n = perFunction.get(keyOf(stack, id)) ?? 0;
    const gbSeconds = (Number(props.MemorySize ?? 128) / 1024) * (a.averageDurationMs / 1000) * n;
    const arch = Array.isArray(props.Architectures) ? props.Architectures : [];
    if (arch.includes('arm64')) armGbSeconds += gbSeconds;
    else x86GbSeconds += gbSeconds;
    const tracing = isRecord(props.TracingConfig) ? props.TracingConfig.Mode : undefined;
    if (tracing === 'Active') traced += n;
    logStorageGb +=
      ((n * a.logBytesPerInvocation) / gib) * (retentionOf(stack, props) / DAYS_PER_MONTH);
  }
  lines.push(
    line(
      'Lambda',
      `requests (${functions.length} functions, scheduled and event-driven)`,
      totalInvocations,
      'request',
      PRICES.lambda.request,
    ),
  );
  lines.push(
    line(
      'Lambda',
      `compute, Arm (${a.averageDurationMs} ms per invocation)`,
      armGbSeconds,
      'GB-second',
      PRICES.lambda.gbSecondArm64,
    ),
  );
  if (x86GbSeconds > 0) {
    lines.push(
      line(
        'Lambda',
        `compute, x86 (${a.averageDurationMs} ms per invocation)`,
        x86GbSeconds,
        'GB-second',
        PRICES.lambda.gbSecondX86,
      ),
    );
  }
  if (traced > 0) {
    lines.push(
      line(
        'X-Ray',
        'traces of actively traced invocations',
        traced,
        'trace',
        PRICES.xray.traceRecorded,
      ),
    );
  }
  // KMS requests: only data under a customer managed key costs them (SQS-managed SSE, DynamoDB's
  // AWS owned key and the default Logs encryption make none that are billed). Invocations touch
  // the state table and queues; every publish to a topic under a customer key takes a data key.
  // An AWS managed key is named by its alias (`alias/aws/sns`) or the alias ARN (`…:alias/aws/sns`).
  const customerKey = (key: unknown) =>
    key !== undefined && !(typeof key === 'string' && /(^|:)alias\/aws\//.test(key));
  const customerKeyStores =
    of('AWS::DynamoDB::Table').filter(
      (t) =>
        isRecord(t.props.SSESpecification) && customerKey(t.props.SSESpecification.KMSMasterKeyId),
    ).length +
    of('AWS::SQS::Queue').filter((q) => customerKey(q.props.KmsMasterKeyId)).length +
    of('AWS::Logs::LogGroup').filter((g) => customerKey(g.props.KmsKeyId)).length;
  const customerKeyTopics = of('AWS::SNS::Topic').filter((t) =>
    customerKey(t.props.KmsMasterKeyId),
  ).length;
  lines.push(
    line(
      'KMS',
      `requests (${customerKeyStores} tables, queues and log groups and ${customerKeyTopics} topics under a customer key)`,
      (customerKeyStores > 0 ? totalInvocations * a.kmsRequestsPerInvocation : 0) +
        customerKeyTopics * a.publishesPerTopic,
      'request',
      PRICES.kms.request,
    ),
  );

  // CloudWatch Logs: what the invocations write, and what the retention keeps.
  lines.push(
    line(
      'CloudWatch Logs',
      `ingestion (${logGroups.length} log groups)`,
      (totalInvocations * a.logBytesPerInvocation) / gib,
      'GB',
      cloudwatch.logIngestionGb,
    ),
  );
  lines.push(
    line(
      'CloudWatch Logs',
      'storage at retention',
      logStorageGb,
      'GB-month',
      cloudwatch.logStorageGbMonth,
    ),
  );

  // Step Functions: rollouts of the resize state machines.
  const machines = of('AWS::StepFunctions::StateMachine');
  const standardMachines = machines.filter((m) => m.props.StateMachineType !== 'EXPRESS').length;
  lines.push(
    line(
      'Step Functions',
      `standard transitions (${standardMachines} state machines, ${a.rolloutsPerStateMachine} rollouts each)`,
      standardMachines * a.rolloutsPerStateMachine * a.transitionsPerRollout +
        (standardMachines > 0
          ? a.rolloutsPerStateMachine * a.transitionsPerNodeRollout * a.nodes
          : 0),
      'transition',
      PRICES.stepFunctions.standardTransition,
      standardMachines > 0,
    ),
  );

  // DynamoDB: the on-demand state table.
  const tables = of('AWS::DynamoDB::Table');
  const onDemand = tables.filter((t) => t.props.BillingMode === 'PAY_PER_REQUEST');
  const pitr = tables.filter(
    (t) =>
      isRecord(t.props.PointInTimeRecoverySpecification) &&
      t.props.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled === true,
  );
  const { dynamodb } = PRICES;
  lines.push(
    line(
      'DynamoDB',
      `on-demand writes (${onDemand.length} tables)`,
      onDemand.length > 0 ? totalInvocations * a.stateTableWritesPerInvocation : 0,
      'WRU',
      dynamodb.writeRequestUnit,
    ),
  );
  lines.push(
    line(
      'DynamoDB',
      'on-demand reads',
      onDemand.length > 0 ? totalInvocations * a.stateTableReadsPerInvocation : 0,
      'RRU',
      dynamodb.readRequestUnit,
    ),
  );
  lines.push(
    line(
      'DynamoDB',
      'storage',
      tables.length * a.stateTableGb,
      'GB-month',
      dynamodb.storageGbMonth,
    ),
  );
  lines.push(
    line(
      'DynamoDB',
      'point-in-time recovery',
      pitr.length * a.stateTableGb,
      'GB-month',
      dynamodb.pitrGbMonth,
    ),
  );

  // SQS: on-failure queues are idle unless a reaction fails (their alarms read metrics, not
  // messages); a queue a function consumes through an event source mapping is polled all the time.
  const queues = of('AWS::SQS::Queue');
  const sqsMappings = mappings.filter((m) => {
    const source = referencedId(m.props.EventSourceArn);
    return queues.some((q) => q.stack === m.stack && q.id === source);
  });
  lines.push(
    line(
      'SQS',
      `requests (${queues.length} queues; ${sqsMappings.length} polled by Lambda)`,
      sqsMappings.length * a.sqsPollsPerMapping,
      'request',
      PRICES.sqs.request,
    ),
  );
  const topics = of('AWS::SNS::Topic').length;
  lines.push(
    line(
      'SNS',
      `publishes (${topics} topics)`,
      topics * a.publishesPerTopic,
      'publish',
      PRICES.sns.publish,
    ),
  );

  // Secrets Manager: the secrets drpilot creates (kubeconfig secrets are the user's).
  const secrets = of('AWS::SecretsManager::Secret').length;
  lines.push(
    line('Secrets Manager', 'secrets', secrets, 'secret-month', PRICES.secretsManager.secretMonth),
  );
  lines.push(
    line(
      'Secrets Manager',
      'API calls',
      secrets * a.secretCallsPerSecret,
      'call',
      PRICES.secretsManager.apiCall,
    ),
  );

  return {
    pricesAsOf: PRICES_AS_OF,
    region: PRICES_REGION,
    assumptions: a,
    lines,
    total: round2(lines.reduce((sum, l) => sum + l.monthly, 0)),
    resourceCounts,
    freeTypes,
    unpricedTypes,
    invocations,
    nodeGroups,
  };
}

const MEMBER_ALARM_TEXT: Record<MemberAlarmMode, (a: CostAssumptions) => string> = {
  'per-member': () => 'one up/down pair per node',
  'per-group': () =>
    "one up/down pair per node group on one custom metric (an ec2 group's on the CloudWatch agent's DrpilotGroup rollup)",
  'scale-up-only': (a) =>
    `one scale-up alarm per node and a scale-down re-plan reading every node's metric each ${a.scaleDownReviewMinutes} min (a design priced here, not built)`,
};

/**
 * Each goal of COST_GOALS whose node count is among `tables`: met or not, by how much, and the
 * lines that weigh most (what would buy the rest).
 */
export function costGoalVerdicts(tables: readonly CostTable[]): string[] {
  return COST_GOALS.flatMap((goal) => {
    const table = tables.find((t) => t.assumptions.nodes === goal.nodes);
    if (!table) return [];
    const head = `goal under $${goal.underUsd.toFixed(2)} at ${goal.nodes} nodes`;
    if (table.total < goal.underUsd) return [`${head}: met ($${table.total.toFixed(2)})`];
    const biggest = [...table.lines]
      .sort((x, y) => y.monthly - x.monthly)
      .slice(0, 4)
      .map((l) => `${l.item} $${l.monthly.toFixed(2)}`);
    return [
      `${head}: NOT met ($${table.total.toFixed(2)}, $${(table.total - goal.underUsd).toFixed(2)} over); largest lines: ${biggest.join('; ')}`,
    ];
  });
}

function memberAlarmsText(a: CostAssumptions): string {
  const fromConfig = Object.entries(a.groupAlarms);
  if (fromConfig.length === 0) return `member alarms ${MEMBER_ALARM_TEXT[a.memberAlarms](a)}`;
  const parts = MEMBER_ALARM_MODES.flatMap((mode) => {
    const ids = fromConfig.filter(([, m]) => m === mode).map(([id]) => id);
    return ids.length > 0 ? [`${ids.join(', ')}: ${MEMBER_ALARM_TEXT[mode](a)}`] : [];
  });
  return (
    `member alarms as the config sets each node group's alarms — ${parts.join('; ')}; a group the config does not name: ${MEMBER_ALARM_TEXT[a.memberAlarms](a)} ` +
    '(an ec2 group with alarms "auto" is assumed to run the CloudWatch agent with `drpilot agent-config`\'s fragment, so it has the group pair; without the agent it keeps a pair per node, which --member-alarms per-member prices); the nodes spread evenly over the groups'
  );
}

/** The assumptions as sentences, for the table and the README. */
export function describeAssumptions(a: CostAssumptions): string[] {
  return [
    `${PRICES_REGION} list prices as of ${PRICES_AS_OF}, 730 hours a month, no free tiers (they are per account).`,
    `Nodes: ${a.nodes}; ${memberAlarmsText(a)}.`,
    `Health checks probe ${a.healthCheckEndpoints === 'aws' ? 'AWS endpoints (the clusters’ load balancers in this account)' : 'non-AWS endpoints'}; HTTPS, the 10 s interval, latency and string matching are priced features.`,
    `KMS keys in year ${Math.ceil(a.keyAgeYears)} of yearly rotation (each of the first two rotations adds $1/key-month, so from year 3 a key costs $3/month); ${a.kmsRequestsPerInvocation} KMS request per invocation when the state table or queues are under a customer key, 1 per publish to a topic under one.`,
    `Functions run ${a.averageDurationMs} ms per invocation; schedules fire as written; each event-pattern rule invokes its function ${a.eventInvocationsPerRule} times a month.`,
    `Every invocation writes ${a.logBytesPerInvocation} bytes of logs, is traced by X-Ray when its function has active tracing (one trace each), and makes ${a.stateTableWritesPerInvocation} writes and ${a.stateTableReadsPerInvocation} reads on the state table (${a.stateTableGb} GB).`,
    `Each resize state machine runs ${a.rolloutsPerStateMachine} rollouts a month of ${a.transitionsPerRollout} transitions plus ${a.transitionsPerNodeRollout} per node moved.`,
    `On-failure queues stay empty; a queue consumed by Lambda is long-polled ${a.sqsPollsPerMapping} times a month; ${a.publishesPerTopic} notifications per topic; ${a.secretCallsPerSecret} GetSecretValue calls per secret; ${a.extraCustomMetrics} custom metrics besides the alarmed ones.`,
    'Not counted: the hosted zone, its records and DNS queries (the user’s), EventBridge (scheduled rules and AWS service events on the default bus are free; cross-region forwarding of backup events is $1 per million), CloudWatch API requests, S3 requests and data transfer of the Velero re-sync (they depend on backup size).',
  ];
}
