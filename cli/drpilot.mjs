#!/usr/bin/env node
// The package's bin: runs the TypeScript CLI through tsx, so a fresh clone needs no build step.
// Both of tsx's hooks: the azure-functions workspace (loaded by the embedded drill) is CommonJS
// TypeScript, whose extensionless requires only tsx's CommonJS hook resolves.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

// The pinned SDK runs on Node 20; its notice about future releases would bury the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler code run in-process logs only warnings (on stderr, see cli/io.ts) and publishes no EMF
// metrics: a person reads the result and the progress lines; set these to see the rest.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
register();
registerCommonJs();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
