import type { EC2Client } from '@aws-sdk/client-ec2';

/**
 * Records the name of every command the clients send from now on, dry runs marked, ahead of any
 * fake installed on them: `writes(calls)` then says whether anything was changed.
 */
export function recordCommands(...clients: Array<{ middlewareStack: unknown }>) {
  const calls: string[] = [];
  for (const client of clients) {
    // Clients' stacks differ only in their input and output types, which this never reads.
    (client.middlewareStack as EC2Client['middlewareStack']).add(
      (next, context) => async (args) => {
        const dryRun = (args.input as { DryRun?: boolean }).DryRun === true;
        const name = (context.commandName ?? '').replace(/Command$/, '');
        calls.push(dryRun ? `${name} (dry run)` : name);
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands', priority: 'high' },
    );
  }
  return calls;
}

/** The recorded calls that change something: neither a read nor a dry run. */
export const writes = (calls: readonly string[]) =>
  calls.filter((c) => !/^(Describe|List|Get)/.test(c) && !c.endsWith('(dry run)'));
