import type { App } from 'aws-cdk-lib';
import { validatedKubernetesAccess } from '../lambdas/core/config/kubernetes-access';
import { SIDES, type DrpilotConfig, type Side } from '../lambdas/core/config/schema';
import { ControlStack } from './control-stack';
import { names } from './names';
import { checkWithNag } from './nag';
import { RegionStack } from './region-stack';

export interface DrpilotStacks {
  readonly control: ControlStack;
  readonly regions: Record<Side, RegionStack>;
}

/**
 * The control stack in `controlRegion` and one stack per cluster region, all in one account.
 * Each stack is pinned to its region: nothing here is environment-agnostic.
 */
export function addDrpilotStacks(app: App, config: DrpilotConfig, account: string): DrpilotStacks {
  const tags = { 'drpilot:name': config.name };
  // Construct id = stack name, so `cdk deploy acme-drpilot-control` and `cdk ls` use one name.
  const control = new ControlStack(app, names.controlStack(config), {
    stackName: names.controlStack(config),
    description: `drpilot ${config.name}: control plane (state, notifications, control functions)`,
    env: { account, region: config.controlRegion },
    tags,
    config,
  });
  const regions = Object.fromEntries(
    SIDES.map((side) => [
      side,
      new RegionStack(app, names.regionStack(config, side), {
        stackName: names.regionStack(config, side),
        description: `drpilot ${config.name}: ${side} cluster region ${config.clusters[side].region}`,
        env: { account, region: config.clusters[side].region },
        tags,
        config,
        side,
      }),
    ]),
  ) as Record<Side, RegionStack>;

  // An access entry names "one, and only one, existing IAM principal" (EKS User Guide, "Create
  // access entries"): the restore drill's role (control stack) exists before the DR cluster's
  // entry for it (DR region stack).
  const drill = config.backups.restoreDrill;
  if (drill && validatedKubernetesAccess(drill).auth === 'eks') {
    regions.dr.addStackDependency(
      control,
      'the DR cluster access entry names the restore drill role',
    );
  }

  // One AwsSolutions plugin for the app: it checks every stack in it.
  checkWithNag(app);
  return { control, regions };
}
