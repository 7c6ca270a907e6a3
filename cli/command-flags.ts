import type { GlobalOptions } from './global-options';

/** A global flag by its option key: `dryRun` is `--dry-run`. */
export type GlobalFlag = keyof GlobalOptions;

export const GLOBAL_FLAG_NAMES: Record<GlobalFlag, string> = {
  config: '--config',
  json: '--json',
  dryRun: '--dry-run',
  yes: '--yes',
  via: '--via',
};

/** The contract's exit codes (cli/exit-codes.ts), as each command's help explains them. */
export type ExitMeaning = Partial<Record<0 | 1 | 2 | 3, string>>;

export interface CommandFlags {
  /** The global flags the command acts on; any other given is a usage error (exit 2). */
  honours: readonly GlobalFlag[];
  exits: ExitMeaning;
  /** Two command lines, without the leading `drpilot`. */
  examples: readonly [string, string];
  /**
   * When the command changes a real estate and so asks first (cli/confirm.ts), given its own
   * flags; absent: it never asks. `--dry-run` and `--yes` skip the question wherever it is asked.
   */
  asks?: (flags: Record<string, unknown>) => boolean;
  /** The plan shown before asking; absent: the command's own output under --dry-run. */
  plan?: (args: readonly unknown[], flags: Record<string, unknown>) => string;
}

const ASKS = ' (or there is no terminal to ask on and no --yes)';
const DECLINED = 'you answered no at the confirmation prompt: nothing changed';

/**
 * Every command's global flags, exit codes and examples, keyed by its path (`simulate resize`).
 * test/unit/command-help.test.ts walks buildProgram() and fails for a command missing here.
 */
export const COMMAND_FLAGS: Readonly<Record<string, CommandFlags>> = {
  validate: {
    honours: ['config', 'json'],
    exits: { 0: 'the config is valid', 2: 'it is not (each error names its path)' },
    examples: ['validate --config drpilot.config.json', 'validate --json'],
  },
  status: {
    honours: ['config', 'json', 'via'],
    exits: { 0: 'status read', 1: 'reading it failed', 2: 'usage or config error' },
    examples: ['status', 'status --via lambda --json'],
  },
  failover: {
    honours: ['config', 'json', 'dryRun', 'yes', 'via'],
    exits: {
      0: 'switched, or already pointing at DR',
      1: 'the switch failed',
      2: `usage or config error${ASKS}`,
      3: `refused by a safety check, or ${DECLINED}`,
    },
    examples: ['failover --dry-run', 'failover --reason "primary region outage" --yes --json'],
    asks: () => true,
  },
  failback: {
    honours: ['config', 'json', 'dryRun', 'yes', 'via'],
    exits: {
      0: 'switched, or already pointing at the primary',
      1: 'the switch failed',
      2: `usage or config error${ASKS}`,
      3: `refused by a safety check, or ${DECLINED}`,
    },
    examples: ['failback --dry-run', 'failback --reason "primary restored" --yes'],
    asks: () => true,
  },
  resync: {
    honours: ['config', 'json', 'dryRun', 'yes', 'via'],
    exits: {
      0: 'copied, or nothing to copy',
      1: 'a copy failed',
      2: `usage or config error${ASKS}`,
      3: `refused (another run holds the lease, the active side is unknown), or ${DECLINED}`,
    },
    examples: ['resync --dry-run', 'resync --backup daily-20261202 --yes --via lambda'],
    asks: () => true,
  },
  resize: {
    honours: ['config', 'json', 'dryRun', 'yes', 'via'],
    exits: {
      0: 'resized, or already on the right type',
      1: 'the rollout failed (rolled back where it could be)',
      2: `unknown group, conflicting flags, config error${ASKS}`,
      3: `refused by a safety check, or ${DECLINED}`,
    },
    examples: ['resize web --step up --dry-run', 'resize web --to m6i.xlarge --yes --via lambda'],
    asks: () => true,
  },
  simulate: {
    honours: ['config', 'json'],
    exits: { 0: 'simulated', 2: 'usage or config error' },
    examples: ['simulate resize', 'simulate resize --trace cpu.csv --tune --json'],
  },
  'simulate resize': {
    honours: ['config', 'json'],
    exits: { 0: 'simulated', 2: 'a bad trace, price file, flag or group' },
    examples: [
      'simulate resize --group web --seed 7 --days 14',
      'simulate resize --trace cpu.csv --prices prices.json --chart resize.svg --json',
    ],
  },
  'verify-restore': {
    honours: ['config', 'json', 'dryRun', 'via'],
    exits: {
      0: 'the restore was verified and cleaned up',
      1: 'not verified, or the cleanup is incomplete',
      2: 'a bad --backup, no backups.restoreDrill, or a config error',
      3: 'refused (nothing restorable, a scratch namespace exists, another drill runs)',
    },
    examples: ['verify-restore --dry-run', 'verify-restore --backup daily-20261202 --via lambda'],
  },
  drill: {
    honours: ['config', 'json', 'yes', 'via'],
    exits: {
      0: 'every drill step passed',
      1: 'a step failed (what it changed is undone where it can be)',
      2: `usage or config error${ASKS}`,
      3: DECLINED,
    },
    examples: [
      'drill full --embedded --report drill-report',
      'drill runbook --via lambda --yes --json',
    ],
    asks: (flags) => flags['embedded'] !== true,
    plan: (args, flags) => drillPlan(String(args[0]), flags['live'] === true),
  },
  notify: {
    honours: ['config', 'json', 'via'],
    exits: { 0: 'the ping was answered 202', 1: 'it was not', 2: 'usage or config error' },
    examples: ['notify --test', 'notify --test --via lambda --json'],
  },
  pause: {
    honours: ['config', 'json', 'dryRun'],
    exits: { 0: 'paused', 1: 'writing the pause failed', 2: 'usage or config error' },
    examples: [
      'pause dns --for 2h --reason "primary maintenance"',
      'pause --until 2026-12-02T18:00Z --reason "incident 4711" --json',
    ],
  },
  resume: {
    honours: ['config', 'json', 'dryRun'],
    exits: {
      0: 'resumed, or nothing was paused',
      1: 'lifting it failed',
      2: 'usage or config error',
    },
    examples: ['resume dns', 'resume --dry-run --json'],
  },
  approve: {
    honours: ['config', 'json', 'dryRun'],
    exits: {
      0: 'switched or resized, or nothing left to do (already decided)',
      1: 'the switch or resize failed',
      2: 'an unknown or expired request id, or a config error',
      3: 'refused: its checks no longer pass',
    },
    examples: ['approve dns-3f2a9c1e --dry-run', 'approve dns-3f2a9c1e --json'],
  },
  reject: {
    honours: ['config', 'json', 'dryRun'],
    exits: {
      0: 'rejected, or already decided',
      1: 'recording it failed',
      2: 'an unknown or expired request id, or a config error',
    },
    examples: ['reject dns-3f2a9c1e', 'reject resize-5b07d2aa --json'],
  },
  'agent-config': {
    honours: ['config', 'json'],
    exits: {
      0: 'the fragment printed',
      2: 'usage or config error, an unknown node group, or one not of kind ec2',
    },
    examples: [
      'agent-config primary-workers > drpilot-agent.json',
      'agent-config dr-workers --json',
    ],
  },
  history: {
    honours: ['config', 'json'],
    exits: { 0: 'history read', 1: 'reading it failed', 2: 'usage or config error' },
    examples: ['history --job dns --since 1d', 'history --since 2026-12-01T00:00Z --json'],
  },
};

/** drill has no --dry-run: what a drill against the real estate touches, from cli/drill/run-drill.ts. */
function drillPlan(scenario: string, live: boolean): string {
  const record = live
    ? 'the customer-facing record (dns.recordName, --live)'
    : 'the drill record (dns.drillRecordName)';
  const touches: Record<string, string> = {
    failover: `re-syncs backups to the standby side, then points ${record} at DR`,
    failback: `re-syncs backups to the standby side, then points ${record} at DR and back`,
    full: `checks the foundation, then runs the runbook through the functions' handlers — re-syncs, restores a backup into DR scratch namespaces, points ${record} at DR and back (undone if a step fails), tells the AKS side — then plans each node group's resize`,
    resize: 'resizes a node group, draining its nodes one at a time',
    resync: 'copies restorable backups from the active side to the standby side',
    restore: 're-syncs, then restores a backup into DR scratch namespaces and removes them',
    runbook: `runs the runbook (through the functions' handlers here, or the deployed state machine with --via lambda), switching ${record}`,
  };
  return `drill ${scenario} against the estate in the config (not an emulator): it ${touches[scenario] ?? 'runs the drill steps'}.`;
}
