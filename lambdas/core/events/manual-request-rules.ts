/**
 * The rules a person's request must meet against the config before anything is read or written:
 * the node group exists, and `--to` names a rung of its ladder (or, for a ladder derived from one
 * type, a size of that family — which sizes exist is the catalogue's to say, later); a restore
 * drill needs backups.restoreDrill. The Lambda handlers and the CLI both apply them after
 * parseTriggerEvent, so a bad value is the same usage error at every front door. Pure.
 */
import type { DrpilotConfig } from '../config/schema';
import { instanceFamily, ladderSeed } from '../resize/derived-ladder';
import { TriggerEventError, type ManualTrigger, type TriggerEventIssue } from './trigger-event';

export function assertManualRequestFits(
  trigger: ManualTrigger,
  config: Pick<DrpilotConfig, 'nodeGroups'> & {
    backups?: Pick<DrpilotConfig['backups'], 'restoreDrill'>;
  },
): void {
  const issues = [...resizeIssues(trigger, config), ...restoreIssues(trigger, config)];
  if (issues.length > 0) {
    throw new TriggerEventError(
      `invalid manual payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      'manual',
      issues,
    );
  }
}

function resizeIssues(
  trigger: ManualTrigger,
  config: Pick<DrpilotConfig, 'nodeGroups'>,
): TriggerEventIssue[] {
  if (trigger.action !== 'resize' || trigger.groupId === undefined) return [];
  const group = config.nodeGroups.find((g) => g.id === trigger.groupId);
  if (!group) {
    const configured = config.nodeGroups.map((g) => g.id).join(', ') || 'none';
    return [
      {
        path: 'groupId',
        message: `unknown node group "${trigger.groupId}" (configured: ${configured})`,
      },
    ];
  }
  if (trigger.to === undefined) return [];
  const seed = ladderSeed(group.ladder);
  if (seed !== undefined) {
    return instanceFamily(trigger.to) === instanceFamily(seed)
      ? []
      : [
          {
            path: 'to',
            message: `${trigger.to} is not in the ${instanceFamily(seed)} family that the ladder of ${group.id} is derived from`,
          },
        ];
  }
  return group.ladder.includes(trigger.to)
    ? []
    : [
        {
          path: 'to',
          message: `${trigger.to} is not on the ladder of ${group.id} (${group.ladder.join(', ')})`,
        },
      ];
}

function restoreIssues(
  trigger: ManualTrigger,
  config: { backups?: Pick<DrpilotConfig['backups'], 'restoreDrill'> },
): TriggerEventIssue[] {
  if (trigger.action !== 'verify-restore' || config.backups?.restoreDrill) return [];
  return [
    {
      path: 'action',
      message:
        "verify-restore needs backups.restoreDrill in the config (the DR cluster's kubeconfigSecret and Velero namespace)",
    },
  ];
}
