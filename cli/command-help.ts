import { Help, type Command } from 'commander';
import {
  COMMAND_FLAGS,
  GLOBAL_FLAG_NAMES,
  type CommandFlags,
  type GlobalFlag,
} from './command-flags';
import { commandPath } from './confirm';

const EXIT_CODES =
  'Exit codes: 0 done or nothing to do, 1 failed, 2 usage or config error, 3 refused.\n' +
  'drpilot <command> --help lists its flags, what each exit code means for it, and examples.';

/** Every command and subcommand below the root, depth first, as registered. */
export function allCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => [c, ...allCommands(c)]);
}

function helpAfter(rules: CommandFlags): string {
  const codes = Object.entries(rules.exits).map(([code, meaning]) => `  ${code}  ${meaning}`);
  const asks = rules.asks
    ? [
        '',
        'It changes the real estate: on a terminal it shows the plan and asks (y/N); without one',
        `it needs --yes.${rules.honours.includes('dryRun') ? ' --dry-run shows the plan and changes nothing.' : ''}`,
      ]
    : [];
  return [
    '',
    'Exit codes:',
    ...codes,
    ...asks,
    '',
    'Examples:',
    ...rules.examples.map((e) => `  $ drpilot ${e}`),
  ].join('\n');
}

/** A global flag given on the command line with a value other than its default. */
function givenFlags(program: Command): GlobalFlag[] {
  return (Object.keys(GLOBAL_FLAG_NAMES) as GlobalFlag[]).filter((key) => {
    if (program.getOptionValueSource(key) !== 'cli') return false;
    const option = program.options.find((o) => o.attributeName() === key);
    return program.getOptionValue(key) !== option?.defaultValue;
  });
}

function givenAs(program: Command, key: GlobalFlag): string {
  const value: unknown = program.getOptionValue(key);
  return typeof value === 'string' ? `${GLOBAL_FLAG_NAMES[key]} ${value}` : GLOBAL_FLAG_NAMES[key];
}

/**
 * Applies COMMAND_FLAGS to every registered command, those added later included: its help shows
 * the global flags it honours, its exit codes and examples; a global flag it does not honour is a
 * usage error (exit 2) before its action runs. A command missing from the table honours every
 * global flag (test/unit/command-help.test.ts fails for it).
 */
export function applyCommandFlags(program: Command): void {
  program.addHelpText('after', `\n${EXIT_CODES}`);
  for (const command of allCommands(program)) {
    const rules = COMMAND_FLAGS[commandPath(command)];
    if (!rules) continue;
    const honoured = new Set(rules.honours.map((key) => GLOBAL_FLAG_NAMES[key]));
    command.configureHelp({
      showGlobalOptions: true,
      visibleGlobalOptions: (cmd: Command) => {
        const everyGlobal = Object.assign(new Help(), { showGlobalOptions: true });
        return everyGlobal.visibleGlobalOptions(cmd).filter((o) => honoured.has(o.long ?? ''));
      },
    });
    command.addHelpText('after', helpAfter(rules));
  }
  program.hook('preAction', (_root, command) => {
    const path = commandPath(command);
    const rules = COMMAND_FLAGS[path];
    if (!rules) return;
    const refused = givenFlags(program).filter((key) => !rules.honours.includes(key));
    if (!refused.length) return;
    const names = refused.map((key) => givenAs(program, key)).join(', ');
    const honoured = rules.honours.map((key) => GLOBAL_FLAG_NAMES[key]).join(', ');
    command.error(
      `error: ${names} ${refused.length > 1 ? 'do' : 'does'} not apply to drpilot ${path} (its global flags: ${honoured}); see drpilot ${path} --help`,
      { exitCode: 2, code: 'drpilot.flagNotHonoured' },
    );
  });
}
