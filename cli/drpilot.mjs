#!/usr/bin/env node
// The package's bin. Runs the bundle `npm run build:cli` makes (`prepack` makes it for a packed
// package) when it is current, see cli/launch.mjs; otherwise the TypeScript CLI through tsx, so a
// fresh clone needs no build step.
import module from 'node:module';
import { chooseCli } from './launch.mjs';

// Node >= 22.1 keeps the compiled code of the modules it loads on disk, so the next start skips
// compiling them ("module.enableCompileCache()", https://nodejs.org/api/module.html); Node 20
// has no such cache.
module.enableCompileCache?.();

// The pinned SDK runs on Node 20; its notice about future releases would bury the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler code run in-process logs only warnings (on stderr, see cli/io.ts) and publishes no EMF
// metrics: a person reads the result and the progress lines; set these to see the rest.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const cli = chooseCli();
let main;
if (cli.kind === 'bundle') {
  ({ main } = await import(cli.entry));
} else {
  // Both of tsx's hooks: the azure-functions workspace (loaded by the embedded drill) is CommonJS
  // TypeScript, whose extensionless requires only tsx's CommonJS hook resolves.
  const { register: registerCommonJs } = await import('tsx/cjs/api');
  const { register } = await import('tsx/esm/api');
  register();
  registerCommonJs();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
