import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CommandContext } from '../../cli/command-context';
import { COMMAND_FLAGS, GLOBAL_FLAG_NAMES, type GlobalFlag } from '../../cli/command-flags';
import { allCommands } from '../../cli/command-help';
import { commandPath } from '../../cli/confirm';
import { buildProgram } from '../../cli/main';
import { runCli } from '../support/run-cli';

const silent = { stdout: () => {}, stderr: () => {}, env: {}, cwd: process.cwd() };
/** Every registered command, those added after this test was written included. */
const commands = allCommands(buildProgram(new CommandContext(silent))).map(
  (command) => [commandPath(command), command] as const,
);

const GLOBAL_ARGS: Record<GlobalFlag, string[]> = {
  config: ['--config', 'drpilot.config.json'],
  json: ['--json'],
  dryRun: ['--dry-run'],
  yes: ['--yes'],
  via: ['--via', 'lambda'],
};
const GLOBALS = Object.keys(GLOBAL_FLAG_NAMES) as GlobalFlag[];

/** The section of a help text under `title`, up to the next blank line. */
function section(help: string, title: string): string {
  const start = help.indexOf(`\n${title}\n`);
  if (start < 0) return '';
  const end = help.indexOf('\n\n', start + 1);
  return help.slice(start, end < 0 ? undefined : end);
}

/** Arguments that get past the parser to the action: each required argument and option filled. */
function minimalArgs(command: Command): string[] {
  return [
    ...command.registeredArguments.filter((a) => a.required).map((a) => a.argChoices?.[0] ?? 'x'),
    ...command.options.filter((o) => o.mandatory).flatMap((o) => [o.long ?? '', 'x']),
  ];
}

describe('drpilot <command> --help', () => {
  it('finds the commands', () => {
    expect(commands.map(([path]) => path)).toEqual(
      expect.arrayContaining(['failover', 'resize', 'drill', 'simulate resize', 'pause']),
    );
  });

  it.each(commands)(
    '%s: its flags, the global ones it honours, exit codes, two examples',
    async (path, command) => {
      const rules = COMMAND_FLAGS[path];
      expect(rules, `${path} needs a row in cli/command-flags.ts`).toBeDefined();
      if (!rules) return;
      const run = await runCli([...path.split(' '), '--help']);
      expect(run.code).toBe(0);
      const help = run.stdout;
      for (const option of command.options) expect(help).toContain(option.long);
      const globals = section(help, 'Global Options:');
      for (const key of GLOBALS) {
        const listed = globals.includes(`${GLOBAL_FLAG_NAMES[key]} `);
        expect(listed, `${path}: ${GLOBAL_FLAG_NAMES[key]}`).toBe(rules.honours.includes(key));
      }
      const exits = section(help, 'Exit codes:');
      for (const [code, meaning] of Object.entries(rules.exits))
        expect(exits).toContain(`  ${code}  ${meaning}`);
      expect(exits).toContain('  0  ');
      const examples = section(help, 'Examples:')
        .split('\n')
        .filter((l) => l.includes('$ drpilot'));
      expect(examples).toHaveLength(2);
      const known = new Set([
        ...command.options.map((o) => o.long),
        ...command.commands.flatMap((c) => c.options.map((o) => o.long)),
        ...rules.honours.map((key) => GLOBAL_FLAG_NAMES[key]),
      ]);
      for (const example of examples) {
        expect(example).toContain(`$ drpilot ${path}`);
        for (const flag of example.match(/ --[a-z-]+/g) ?? [])
          expect(known, example).toContain(flag.trim());
      }
    },
  );

  it('the root help names the exit codes and points at each command’s help', async () => {
    const run = await runCli(['--help']);
    expect(run.stdout).toContain(
      'Exit codes: 0 done or nothing to do, 1 failed, 2 usage or config error, 3 refused.',
    );
    expect(run.stdout).toContain('drpilot <command> --help');
  });

  const refusals = commands.flatMap(([path, command]) =>
    command.commands.length
      ? []
      : GLOBALS.filter((key) => !COMMAND_FLAGS[path]?.honours.includes(key)).map(
          (key) =>
            [
              path,
              GLOBAL_ARGS[key].join(' '),
              [...minimalArgs(command), ...GLOBAL_ARGS[key]],
            ] as const,
        ),
  );

  it.each(refusals)('%s %s: a usage error naming the flag (exit 2)', async (path, given, args) => {
    const run = await runCli([...path.split(' '), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${given} does not apply to drpilot ${path}`);
  });
});
