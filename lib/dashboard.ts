import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { AKS_PROBLEM_METRIC, tunnelAlarmName } from '../lambdas/core/aks/names';
import { SIDES, type DrpilotConfig } from '../lambdas/core/config/schema';
import {
  METRICS_NAMESPACE,
  RPO_METRIC,
  VERIFIED_RPO_METRIC,
  WORST_RPO_METRIC,
} from '../lambdas/core/metric-names';
import type { DnsFailover } from './dns';
import { names } from './names';
import type { RestoreDrill } from './restore';
import type { BackupResync } from './resync';

/**
 * The metric Powertools publishes (EMF, dimension `service`) when a handler throws, see
 * lambdas/shared/powertools.ts. lib/ may not import lambdas/shared, so the name is repeated here;
 * test/infra/dashboard.test.ts checks it against that file.
 */
export const HANDLER_ERRORS_METRIC = 'HandlerErrors';
/** The `serviceName` the restore handler gives `withObservability` (lambdas/restore/handler.ts). */
export const RESTORE_SERVICE = 'restore';

export interface DashboardProps {
  readonly config: DrpilotConfig;
  /** The health checks and their alarms. */
  readonly dnsFailover: DnsFailover;
  /** The copied RPO's alarm (and threshold). */
  readonly backupResync: BackupResync;
  /** The scheduled restore drill, when backups.restoreDrill is configured. */
  readonly restoreDrill: RestoreDrill | null;
}

const GRID = 24;

/** `<name>-drpilot`: the dashboard's name (letters, digits, `-` and `_`, as CloudWatch allows). */
export function dashboardName(config: Pick<DrpilotConfig, 'name'>): string {
  return `${config.name}-drpilot`;
}

/**
 * One CloudWatch dashboard, `<name>-drpilot`, in the control region (us-east-1). Every widget
 * shows a metric drpilot's functions publish (namespace `drpilot`, lambdas/core/metric-names.ts)
 * or an AWS metric one of drpilot's alarms watches; metrics of the cluster regions (VPN tunnels,
 * the resize state machines) are graphed in their own region, and alarms of those regions are
 * listed by ARN built from the config, so this stack references no other stack. A dashboard may
 * hold graphs and alarms of several Regions of one account ("Cross-account cross-Region
 * dashboards": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_xaxr_dashboard.html).
 */
export class DrpilotDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  private readonly config: DrpilotConfig;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(config),
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# drpilot ${config.name}\nMain record \`${config.dns.recordName}\`; primary \`${config.clusters.primary.endpoint}\` (${config.clusters.primary.region}), DR \`${config.clusters.dr.endpoint}\` (${config.clusters.dr.region}). drpilot's docs/deploy.md ("Dashboard") says what each widget shows.`,
        width: GRID,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(...this.dnsWidgets(props.dnsFailover));
    this.dashboard.addWidgets(...this.rpoWidgets(props.backupResync, props.restoreDrill));
    this.dashboard.addWidgets(...this.resizeWidgets());
    const tunnels = this.tunnelWidgets();
    if (tunnels.length > 0) this.dashboard.addWidgets(...tunnels);
    this.dashboard.addWidgets(...this.drillWidgets(props.restoreDrill));
  }

  /**
   * Both Route 53 health checks (HealthCheckStatus exists only in us-east-1), and the active side.
   * drpilot publishes no active-side metric and the DNS function no switch metric (only
   * Powertools' error counters), so the active side is shown through what decides it: the state of
   * both health alarms, which the DNS function reads before every switch. The record's target
   * itself is in `drpilot status` (dns.activeSide) and in the state table's audit trail.
   */
  private dnsWidgets(dns: DnsFailover): cloudwatch.IWidget[] {
    return [
      new cloudwatch.GraphWidget({
        title: 'Route 53 health checks (HealthCheckStatus, 1 = healthy)',
        width: 12,
        left: SIDES.map(
          (side) =>
            new cloudwatch.Metric({
              namespace: 'AWS/Route53',
              metricName: 'HealthCheckStatus',
              dimensionsMap: { HealthCheckId: dns.healthChecks[side].attrHealthCheckId },
              statistic: cloudwatch.Stats.MINIMUM,
              period: Duration.minutes(1),
              region: 'us-east-1',
              label: `${side}: ${this.config.clusters[side].endpoint}`,
            }),
        ),
        leftYAxis: { min: 0, max: 1, showUnits: false },
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Active side: health alarms (OK = may serve; the DNS function switches on these)',
        width: 8,
        alarms: SIDES.map((side) => dns.healthAlarms[side]),
      }),
      new cloudwatch.TextWidget({
        markdown:
          'drpilot publishes no active-side metric. Which side `' +
          this.config.dns.recordName +
          '` points at: `npx drpilot status` (dns.activeSide), or the DNS audit entries in the state table `' +
          this.config.stateTable +
          '`.',
        width: 4,
      }),
    ];
  }

  /**
   * The copied RPO (re-sync, lambdas/adapters/aws/rpo-metrics.ts) and the verified RPO (restore
   * drill, lambdas/adapters/aws/verified-rpo-metrics.ts), per schedule (dimension `Schedule`) with
   * a SEARCH expression, since the schedules are Velero's, not the config's, and the figure
   * without dimensions each alarm watches. SEARCH syntax ({namespace,dimension} schema, exact
   * MetricName): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
   */
  private rpoWidgets(resync: BackupResync, drill: RestoreDrill | null): cloudwatch.IWidget[] {
    const copied = new cloudwatch.GraphWidget({
      title: "Copied RPO per schedule (standby side's newest restorable backup)",
      width: 12,
      left: [
        perSchedule(RPO_METRIC, 'Maximum', 300),
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: WORST_RPO_METRIC,
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(5),
          label: 'worst schedule (alarmed)',
        }),
      ],
      leftAnnotations: [
        { value: this.config.backups.rpoAlarmSeconds, label: resync.rpoAlarm.alarmName },
      ],
      leftYAxis: { min: 0 },
    });
    if (!drill) {
      return [
        copied,
        new cloudwatch.TextWidget({
          markdown:
            'Verified RPO: backups.restoreDrill is not configured, so no restore drill runs and nothing is verified.',
          width: 12,
        }),
      ];
    }
    return [
      copied,
      new cloudwatch.GraphWidget({
        title: 'Verified RPO per schedule (newest backup a restore drill restored)',
        width: 12,
        left: [
          perSchedule(VERIFIED_RPO_METRIC, 'Maximum', 3600),
          new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: VERIFIED_RPO_METRIC,
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.hours(1),
            label: 'newest of any schedule (alarmed)',
          }),
        ],
        leftAnnotations: [
          {
            value: this.config.backups.restoreDrill?.verifiedRpoAlarmSeconds ?? 0,
            label: drill.verifiedRpoAlarm.alarmName,
          },
        ],
        leftYAxis: { min: 0 },
      }),
    ];
  }

  /**
   * Node resize. The resize functions publish no metric of their own (only Powertools' error
   * counters), and no metric carries a group's instance types: the outcomes are the rollout state
   * machine's executions (AWS/States, one machine per cluster region with node groups). A failed,
   * timed-out or aborted execution pages through the region's pager (lib/pager.ts), not an alarm.
   */
  private resizeWidgets(): cloudwatch.IWidget[] {
    const sides = SIDES.filter((side) => this.config.nodeGroups.some((g) => g.cluster === side));
    if (sides.length === 0) return [];
    const stack = Stack.of(this);
    const outcomes = [
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
    ];
    return [
      new cloudwatch.GraphWidget({
        title: 'Node group rollouts (resize state machine executions)',
        width: 18,
        stacked: true,
        left: sides.flatMap((side) => {
          const region = this.config.clusters[side].region;
          const arn = stack.formatArn({
            service: 'states',
            region,
            resource: 'stateMachine',
            resourceName: names.resizeStateMachine(this.config),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          });
          return outcomes.map(
            (metricName) =>
              new cloudwatch.Metric({
                namespace: 'AWS/States',
                metricName,
                dimensionsMap: { StateMachineArn: arn },
                statistic: cloudwatch.Stats.SUM,
                period: Duration.hours(1),
                region,
                label: `${side}: ${metricName.replace('Executions', '').toLowerCase()}`,
              }),
          );
        }),
      }),
      new cloudwatch.TextWidget({
        markdown: [
          'No metric carries instance types. Each group now: `npx drpilot status` (nodeGroups[].instanceTypes).',
          ...this.config.nodeGroups.map(
            (g) => `- \`${g.id}\` (${g.cluster}, ${g.kind}): ${g.ladder.join(' → ')}`,
          ),
        ].join('\n'),
        width: 6,
      }),
    ];
  }

  /**
   * Tunnel states: the AWS/VPN TunnelState each tunnel alarm of lib/tunnel-watch.ts watches (in
   * the connection's region) and those alarms; and, with an AKS side, the AKS function's delivery
   * problems (lambdas/adapters/aws/aks-metrics.ts).
   */
  private tunnelWidgets(): cloudwatch.IWidget[] {
    const connections = this.config.tunnels?.vpnConnections ?? [];
    const widgets: cloudwatch.IWidget[] = [];
    if (connections.length > 0) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: 'VPN tunnels (TunnelState, 1 = up)',
          width: 12,
          left: connections.flatMap((c) =>
            c.outsideIps.map(
              (ip) =>
                new cloudwatch.Metric({
                  namespace: 'AWS/VPN',
                  metricName: 'TunnelState',
                  dimensionsMap: { VpnId: c.id, TunnelIpAddress: ip },
                  statistic: cloudwatch.Stats.MAXIMUM,
                  period: Duration.minutes(1),
                  region: c.region,
                  label: `${c.id} ${ip}`,
                }),
            ),
          ),
          leftYAxis: { min: 0, max: 1, showUnits: false },
        }),
        new cloudwatch.AlarmStatusWidget({
          title: 'Tunnel alarms',
          width: this.config.azure ? 6 : 12,
          alarms: connections.flatMap((c) =>
            c.outsideIps.map((ip) =>
              this.alarmIn(
                `Tunnel-${c.id}-${ip}`,
                c.region,
                tunnelAlarmName(this.config, c.id, ip),
              ),
            ),
          ),
        }),
      );
    }
    if (this.config.azure) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: 'AKS side delivery problems (1 = standing)',
          width: connections.length > 0 ? 6 : 12,
          left: [
            new cloudwatch.SearchExpression({
              expression: `SEARCH('{${METRICS_NAMESPACE},Problem} MetricName="${AKS_PROBLEM_METRIC}"', 'Maximum', 60)`,
              label: dimensionLabel('Problem'),
              period: Duration.minutes(1),
            }),
          ],
          leftYAxis: { min: 0, max: 1, showUnits: false },
        }),
      );
    }
    return widgets;
  }

  /**
   * The last drill. The scheduled restore drill publishes the verified RPO after a drill passed,
   * and a failed drill throws after it is audited (Powertools counts HandlerErrors, the invocation
   * lands in the failure queue, whose alarm pages); CLI drills (`drpilot drill`) publish nothing,
   * their report is the CLI's output (`--report DIR`). So: the two alarms, the restore function's
   * errors, and where to look.
   */
  private drillWidgets(drill: RestoreDrill | null): cloudwatch.IWidget[] {
    const where =
      '`drpilot drill` publishes no metric: its result is the CLI output (`--json`, `--report DIR`). ' +
      'The scheduled restore drill audits each run in the state table `' +
      this.config.stateTable +
      '`; its logs are in the restore function’s log group.';
    if (!drill) {
      return [
        new cloudwatch.TextWidget({
          markdown: `Last drill: backups.restoreDrill is not configured. ${where}`,
          width: GRID,
        }),
      ];
    }
    return [
      new cloudwatch.AlarmStatusWidget({
        // The failure queue is the control stack's (lib/failure-queue.ts): any of its functions.
        title:
          'Last restore drill (verified RPO alarm; failed drill → control failure queue alarm)',
        width: 8,
        alarms: [drill.verifiedRpoAlarm, drill.reactive.failureAlarm],
      }),
      new cloudwatch.GraphWidget({
        title: 'Restore function errors (a failed drill throws)',
        width: 8,
        left: [
          new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: HANDLER_ERRORS_METRIC,
            dimensionsMap: { service: RESTORE_SERVICE },
            statistic: cloudwatch.Stats.SUM,
            period: Duration.hours(1),
            label: 'failed runs',
          }),
        ],
        leftYAxis: { min: 0 },
      }),
      new cloudwatch.TextWidget({ markdown: `Last drill: ${where}`, width: 8 }),
    ];
  }

  /** An alarm of a cluster region, by the name its stack gives it. */
  private alarmIn(id: string, region: string, alarmName: string): cloudwatch.IAlarm {
    const arn = Stack.of(this).formatArn({
      service: 'cloudwatch',
      region,
      resource: 'alarm',
      resourceName: alarmName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return cloudwatch.Alarm.fromAlarmArn(this, id, arn);
  }
}

/** Every `Schedule` series of one drpilot metric, each labelled with its schedule. */
function perSchedule(metricName: string, statistic: string, periodSeconds: number) {
  return new cloudwatch.SearchExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},Schedule} MetricName="${metricName}"', '${statistic}', ${periodSeconds})`,
    label: dimensionLabel('Schedule'),
    period: Duration.seconds(periodSeconds),
  });
}

/**
 * A dynamic label: each series a SEARCH returns is named by its value of `dimension`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/graph-dynamic-labels.html).
 */
function dimensionLabel(dimension: string): string {
  return `\${PROP('Dim.${dimension}')}`;
}
