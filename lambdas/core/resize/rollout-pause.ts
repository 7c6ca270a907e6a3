/**
 * What a pause of `resize` does to a rollout already under way (pure; the handler reads the
 * pause and carries out). A pause holds every group's resizes (`pause#resize`, see
 * pause-rules.ts), so one in force covers any rollout.
 *
 * - `ec2`: the rollout is held at the next node boundary. The node in progress is never cut
 *   short (a drained node left cordoned, a stopped instance, a half-done retype are worse than
 *   finishing it), so the pause is asked only before a node's first sub-step: in force → no
 *   further node starts and the rollout ends through Finish as `held`.
 * - `asg` / `eks-managed`: before the launch-template change is handed to AWS nothing has moved,
 *   so the rollout is held the same way. Once AWS's instance refresh or node group update runs,
 *   a pause cannot stop it safely mid-way (cancelling an instance refresh leaves the group split
 *   between the two types, and EKS cannot cancel a node group update at all), so it is not
 *   cancelled: the rollout runs on and its result says the pause did not stop it.
 */
import { pausedRefusal, pauseInForce, type Pause } from '../pause/pause-rules';

export type RolloutKind = 'ec2' | 'asg' | 'eks-managed';

export interface RolloutAtPause {
  kind: RolloutKind;
  /** `ec2`: the next node has not had its first sub-step; templates: AWS's rollout not started. */
  atBoundary: boolean;
  /** The nodes that ended so far (`ec2`), e.g. `i-0abc resized`. */
  done: { id: string; outcome: string }[];
  /** The nodes that have not started, in rollout order. */
  notStarted: string[];
  toType: string;
}

/** The pause as a rollout records it: who, why, since and until, and what it did. */
export interface RolloutHold {
  by: string;
  reason: string;
  since: string;
  until: string;
  /** `true`: no further node was started; `false`: AWS's rollout ran on. */
  stopped: boolean;
  detail: string;
}

export type PauseDecision = { kind: 'go on' } | { kind: 'hold' | 'note'; hold: RolloutHold };

const ids = (list: string[]) => (list.length > 0 ? list.join(', ') : 'none');

export function decideRolloutPause(
  pause: Pause | null,
  nowMs: number,
  rollout: RolloutAtPause,
): PauseDecision {
  const inForce = pauseInForce(pause, nowMs);
  if (!inForce) return { kind: 'go on' };
  const who = {
    by: inForce.by,
    reason: inForce.reason,
    since: inForce.since,
    until: inForce.until,
  };
  if (rollout.atBoundary) {
    const wouldHave = `resize ${ids(rollout.notStarted)} to ${rollout.toType}`;
    const done = rollout.done.map((n) => `${n.id} ${n.outcome}`);
    const where =
      rollout.kind === 'ec2'
        ? 'at a node boundary'
        : `before the ${rollout.kind === 'asg' ? 'instance refresh' : 'node group update'} started`;
    return {
      kind: 'hold',
      hold: {
        ...who,
        stopped: true,
        detail: `held ${where} (done: ${ids(done)}; not started: ${ids(rollout.notStarted)}): ${pausedRefusal(inForce, wouldHave)}`,
      },
    };
  }
  if (rollout.kind === 'ec2') return { kind: 'go on' };
  // Cancelling a refresh "does not roll back any replacements that have already been completed"
  // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html);
  // CancelUpdate: https://docs.aws.amazon.com/eks/latest/APIReference/API_CancelUpdate.html.
  const running =
    rollout.kind === 'asg'
      ? 'an instance refresh cannot be stopped safely mid-way (cancelling it leaves the group split between the two types)'
      : 'a managed node group update cannot be cancelled (EKS CancelUpdate supports only VersionRollback updates on EKS Auto Mode clusters)';
  return {
    kind: 'note',
    hold: {
      ...who,
      stopped: false,
      detail: `not held by the pause of resize (paused by ${inForce.by} until ${inForce.until}: ${inForce.reason}): ${running}, so AWS's rollout ran on`,
    },
  };
}
