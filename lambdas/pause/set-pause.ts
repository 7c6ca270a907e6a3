import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { PauseStore } from '../adapters/aws/pause-store';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig } from '../core/config/schema';
import type { PausableJob, Pause } from '../core/pause/pause-rules';

function stores(config: DrpilotConfig, now: () => number) {
  const db = dynamoDbDocumentClient(config.controlRegion);
  return {
    pauses: new PauseStore(db, config.stateTable, now),
    audit: new StateStore(db, config.stateTable, now),
  };
}

/** Pauses each job until `untilMs`, audited in the job's own trail (`history --job <job>`). */
export async function pauseJobs(
  config: DrpilotConfig,
  jobs: readonly PausableJob[],
  request: { by: string; reason: string; untilMs: number },
  now: () => number = Date.now,
): Promise<Pause[]> {
  const { pauses, audit } = stores(config, now);
  return Promise.all(
    jobs.map(async (job) => {
      const pause = await pauses.pause(job, request);
      await audit.appendAudit(job, {
        trigger: 'cli',
        action: 'pause',
        outcome: 'paused',
        by: pause.by,
        reasonGiven: pause.reason,
        until: pause.until,
      });
      return pause;
    }),
  );
}

export interface ResumeResult {
  job: PausableJob;
  /** The pause lifted, or null when the job was not paused. */
  lifted: Pause | null;
}

/** Lifts each job's pause; a job that was not paused is reported, not audited. */
export async function resumeJobs(
  config: DrpilotConfig,
  jobs: readonly PausableJob[],
  by: string,
  now: () => number = Date.now,
): Promise<ResumeResult[]> {
  const { pauses, audit } = stores(config, now);
  return Promise.all(
    jobs.map(async (job) => {
      const lifted = await pauses.resume(job);
      if (lifted) {
        await audit.appendAudit(job, {
          trigger: 'cli',
          action: 'resume',
          outcome: 'resumed',
          by,
          reason: `lifted the pause by ${lifted.by} (${lifted.reason}) before ${lifted.until}`,
        });
      }
      return { job, lifted };
    }),
  );
}

/** Every pause in force now. */
export async function pausesInForce(
  config: DrpilotConfig,
  now: () => number = Date.now,
): Promise<Pause[]> {
  return stores(config, now).pauses.allInForce();
}
