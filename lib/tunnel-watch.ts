import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TUNNELS_ACTION, tunnelAlarmName } from '../lambdas/core/aks/names';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { NOTIFICATION_TOPIC_ENV } from '../lambdas/core/shared-names';
import { grantOutboxFromRegion, grantReadWebhookSecret } from './aks-grants';
import { names } from './names';
import { ReactiveFunction } from './reactive-function';

export const TUNNELS_INPUT = { action: TUNNELS_ACTION, reason: 'every 5 minutes' } as const;

type VpnConnection = NonNullable<DrpilotConfig['tunnels']>['vpnConnections'][number];

export interface TunnelWatchProps {
  readonly config: DrpilotConfig;
  /** The connections whose tunnels end in this region. */
  readonly connections: readonly VpnConnection[];
  readonly alarmTopic: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
}

/**
 * The tunnel watch of one cluster region. Per tunnel, an alarm on AWS/VPN TunnelState (dimensions
 * VpnId and TunnelIpAddress, Maximum < 1 over one minute; missing data breaches: a tunnel that
 * reports nothing is not up). The tunnel function receives their state changes, records each
 * tunnel's state and since when, warns (one tunnel down) or pages (every tunnel down) on this
 * region's topic, and sends `tunnel.state` to the AKS side. That function is the one notification
 * path: composite "any down" / "both down" alarms notifying the same topic would send every change
 * twice, at $0.50 a composite a month (https://aws.amazon.com/cloudwatch/pricing/), and a failed
 * run of the function is not silent either (its failure queue pages). The tunnel outside IPs come
 * from the config (tunnels.vpnConnections[].outsideIps).
 */
export class TunnelWatch extends Construct {
  readonly reactive: ReactiveFunction;
  /** Per connection id, one alarm per tunnel. */
  readonly alarms: Record<string, cloudwatch.Alarm[]>;
  readonly alarmChanged: events.Rule;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: TunnelWatchProps) {
    super(scope, id);
    const { config, connections } = props;
    const stack = Stack.of(this);

    this.alarms = Object.fromEntries(
      connections.map((connection) => [connection.id, this.tunnelAlarms(config, connection)]),
    );
    const tunnelAlarmNames = connections.flatMap((c) =>
      c.outsideIps.map((ip) => tunnelAlarmName(config, c.id, ip)),
    );

    this.reactive = new ReactiveFunction(this, 'Tunnels', {
      entry: 'lambdas/aks/tunnel-handler.ts',
      description:
        'drpilot tunnels: records VPN tunnel states from their alarms, warns or pages, tells the AKS side',
      functionName: names.function(config, 'tunnels'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(1),
      // The record of a connection is read, merged and written: one run at a time.
      reservedConcurrency: 1,
      maxEventAge: Duration.minutes(15),
    });
    this.reactive.fn.addEnvironment(NOTIFICATION_TOPIC_ENV, props.alarmTopic.topicArn);
    this.reactive.allowPublish(props.alarmTopic);
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheTunnelAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: tunnelAlarmNames.map((name) =>
          stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    // Tunnel records, the audit of refused events, and the outbox: the control region's table.
    grantOutboxFromRegion(this.reactive, config);
    if (config.azure) grantReadWebhookSecret(this.reactive, config);

    this.alarmChanged = new events.Rule(this, 'TunnelAlarmChanged', {
      description: `drpilot ${config.name}: a VPN tunnel alarm changed state; record it and tell the AKS side`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: tunnelAlarmNames },
      },
      targets: [new targets.LambdaFunction(this.reactive.fn)],
    });
    // An alarm fires only on a transition; a refused or lost event is caught up within 5 minutes.
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `drpilot ${config.name}: read every tunnel alarm again, every 5 minutes`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.reactive.fn, {
          event: events.RuleTargetInput.fromObject(TUNNELS_INPUT),
        }),
      ],
    });
  }

  private tunnelAlarms(config: DrpilotConfig, connection: VpnConnection): cloudwatch.Alarm[] {
    return connection.outsideIps.map(
      (ip) =>
        new cloudwatch.Alarm(this, `Tunnel-${connection.id}-${ip}`, {
          alarmName: tunnelAlarmName(config, connection.id, ip),
          alarmDescription: `drpilot ${config.name}: VPN ${connection.id} tunnel ${ip} is down (TunnelState < 1, or no data).`,
          metric: new cloudwatch.Metric({
            namespace: 'AWS/VPN',
            metricName: 'TunnelState',
            dimensionsMap: { VpnId: connection.id, TunnelIpAddress: ip },
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.minutes(1),
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
    );
  }
}
