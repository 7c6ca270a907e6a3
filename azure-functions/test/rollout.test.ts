import { describe, expect, it } from 'vitest';
import {
  deploymentRolloutStatus,
  planRestart,
  RESTARTED_AT_ANNOTATION,
  restartTimestamp,
  type DeploymentView,
} from '../src/core/rollout';

// kubectl's DeploymentStatusViewer.Status (pkg/polymorphichelpers/rollout_status.go) and
// defaultObjectRestarter (pkg/polymorphichelpers/objectrestarter.go), case by case.

function deployment(
  status: NonNullable<DeploymentView['status']>,
  spec: DeploymentView['spec'] = { replicas: 2 },
  generation = 3,
): DeploymentView {
  return { metadata: { name: 'coredns', generation }, spec, status };
}

describe('deploymentRolloutStatus: what `kubectl rollout status` waits for', () => {
  const complete = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
  it.each([
    [
      'the new generation is not observed yet',
      deployment({ ...complete, observedGeneration: 2 }),
      'waiting',
      'Waiting for deployment spec update to be observed...',
    ],
    [
      'the progress deadline passed',
      deployment({
        ...complete,
        conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }],
      }),
      'failed',
      'deployment "coredns" exceeded its progress deadline',
    ],
    [
      'not every replica is updated',
      deployment({ ...complete, updatedReplicas: 1 }),
      'waiting',
      'Waiting for deployment "coredns" rollout to finish: 1 out of 2 new replicas have been updated...',
    ],
    [
      'old replicas are still there',
      deployment({ ...complete, replicas: 3 }),
      'waiting',
      'Waiting for deployment "coredns" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      'updated replicas are not all available',
      deployment({ ...complete, availableReplicas: 1 }),
      'waiting',
      'Waiting for deployment "coredns" rollout to finish: 1 of 2 updated replicas are available...',
    ],
    [
      'everything is updated and available',
      deployment(complete),
      'done',
      'deployment "coredns" successfully rolled out',
    ],
    [
      'an older generation observed as newer counts as observed (generation ≤ observed)',
      deployment({ ...complete, observedGeneration: 4 }),
      'done',
      'deployment "coredns" successfully rolled out',
    ],
  ])('%s', (_name, view, state, message) => {
    expect(deploymentRolloutStatus(view)).toEqual({ state, message });
  });

  it('a Progressing condition for another reason is not a failure', () => {
    const view = deployment({
      ...complete,
      availableReplicas: 1,
      conditions: [{ type: 'Progressing', reason: 'ReplicaSetUpdated' }],
    });
    expect(deploymentRolloutStatus(view).state).toBe('waiting');
  });
});

describe('planRestart: the patch `kubectl rollout restart` sends', () => {
  const now = new Date('2026-05-01T12:00:00.789Z');

  it('sets the restartedAt pod template annotation to RFC 3339 seconds', () => {
    expect(restartTimestamp(now)).toBe('2026-05-01T12:00:00Z');
    expect(planRestart(deployment({}), now)).toEqual({
      action: 'patch',
      restartedAt: '2026-05-01T12:00:00Z',
      patch: {
        spec: {
          template: {
            metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-05-01T12:00:00Z' } },
          },
        },
      },
    });
  });

  it('refuses a paused Deployment, as kubectl does', () => {
    expect(planRestart(deployment({}, { replicas: 2, paused: true }), now)).toEqual({
      action: 'refuse',
      reason: "can't restart paused deployment (run rollout resume first)",
    });
  });

  it('waits a second when the annotation already holds this second (the patch would be empty)', () => {
    const restarted = deployment(
      {},
      {
        replicas: 2,
        template: {
          metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-05-01T12:00:00Z' } },
        },
      },
    );
    expect(planRestart(restarted, now)).toEqual({ action: 'wait-a-second' });
    expect(planRestart(restarted, new Date('2026-05-01T12:00:01Z')).action).toBe('patch');
  });
});
