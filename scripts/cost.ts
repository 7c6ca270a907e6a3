/**
 * `npm run cost [-- --cdk-out DIR] [--json] [--nodes 3,100]
 * [--member-alarms per-member|per-group|scale-up-only]
 * [--config FILE]`: drpilot's own monthly cost from the synthesized templates, at the dated list
 * prices in lambdas/core/cost/prices.ts. Node group alarms are priced as the config sets each
 * group's `alarms` (alarmCostModes); --member-alarms prices every group one way instead. Without
 * --cdk-out it reads ./cdk.out, and when that holds no templates it synthesizes the app (offline, without bundling: the templates are the same) into
 * a temporary directory from --config, $DRPILOT_CONFIG or ./drpilot.config.json, else the example.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { configFileSystem } from '../bin/config-file-system';
import { formatCostTables } from '../lambdas/core/cost/format';
import {
  alarmCostModes,
  costGoalVerdicts,
  MEMBER_ALARM_MODES,
  planCost,
  type CfnTemplate,
  type MemberAlarmMode,
  type NamedTemplate,
} from '../lambdas/core/cost/plan-cost';
import { formatSettingsErrors, resolveAppSettings } from '../lib/app-settings';
import { addDrpilotStacks } from '../lib/drpilot-app';

const ROOT = resolve(import.meta.dirname, '..');

function usage(message: string): never {
  process.stderr.write(`drpilot cost: ${message}\n`);
  process.exit(2);
}

/** The `*.template.json` files of a cloud assembly, by stack name. */
export function readTemplates(dir: string): NamedTemplate[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .sort()
    .map((f) => ({
      stack: f.replace(/\.template\.json$/, ''),
      template: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CfnTemplate,
    }));
}

/** The app settings for `configFlag`, or the usual lookup, else the example config. */
function settingsFor(configFlag: string | undefined) {
  const cwd = process.cwd();
  const lookedUp = configFlag ?? process.env.DRPILOT_CONFIG;
  const fallback =
    lookedUp === undefined && !existsSync(join(cwd, 'drpilot.config.json'))
      ? join(ROOT, 'drpilot.config.example.json')
      : undefined;
  if (fallback) process.stderr.write(`drpilot cost: no drpilot.config.json: using ${fallback}\n`);
  const settings = resolveAppSettings({
    configContext: configFlag ?? fallback,
    env: process.env,
    cwd,
    fs: configFileSystem,
  });
  if (!settings.ok) usage(formatSettingsErrors(settings));
  return settings;
}

/** Synthesizes the app for `settings` into a temp dir. */
function synthesize(settings: ReturnType<typeof settingsFor>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'drpilot-cost-'));
  const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  addDrpilotStacks(app, settings.config, settings.account);
  app.synth();
  process.stderr.write(`drpilot cost: synthesized ${settings.configFile} into ${outdir}\n`);
  return outdir;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      nodes: { type: 'string', default: '3,100' },
      'member-alarms': { type: 'string' },
    },
    strict: true,
  });
  const nodes = values.nodes.split(',').map((n) => Number(n.trim()));
  if (nodes.some((n) => !Number.isInteger(n) || n < 0)) {
    usage(`--nodes: whole numbers separated by commas, got "${values.nodes}"`);
  }
  const memberAlarms = values['member-alarms'];
  if (
    memberAlarms !== undefined &&
    !(MEMBER_ALARM_MODES as readonly string[]).includes(memberAlarms)
  ) {
    usage(`--member-alarms: ${MEMBER_ALARM_MODES.join(', ')}; got "${memberAlarms}"`);
  }

  let loaded: ReturnType<typeof settingsFor> | undefined;
  const settings = () => (loaded ??= settingsFor(values.config));
  let dir: string;
  if (values['cdk-out'] !== undefined) {
    dir = resolve(values['cdk-out']);
    if (!existsSync(dir) || readTemplates(dir).length === 0) {
      usage(`no *.template.json in ${dir}`);
    }
  } else {
    const local = resolve('cdk.out');
    dir = existsSync(local) && readTemplates(local).length > 0 ? local : synthesize(settings());
  }
  const templates = readTemplates(dir);
  const alarms =
    memberAlarms === undefined
      ? {
          memberAlarms: 'per-member' as const,
          groupAlarms: alarmCostModes(settings().config.nodeGroups),
        }
      : { memberAlarms: memberAlarms as MemberAlarmMode, groupAlarms: {} };
  const tables = nodes.map((n) => planCost(templates, { nodes: n, ...alarms }));
  if (values.json) {
    const goals = costGoalVerdicts(tables);
    process.stdout.write(`${JSON.stringify({ cdkOut: dir, scenarios: tables, goals }, null, 2)}\n`);
  } else {
    process.stdout.write(`templates: ${dir} (${templates.map((t) => t.stack).join(', ')})\n\n`);
    process.stdout.write(`${formatCostTables(tables)}\n`);
  }
}

main();
