/**
 * drpilot's layer boundaries as one ESLint rule: which folder may import which, and where the
 * SDK and the network may be used. Every message says where the code belongs, so the rule
 * teaches the architecture (README "Architecture") at the moment it is broken.
 */
import { dirname, relative, resolve } from 'node:path';

const SDK = /^@aws-sdk\/|^@smithy\/|^@azure\/(?!functions$)|^@kubernetes\/client-node$/;
const NETWORK = /^node:(net|http|https|http2|tls|dns|dgram|child_process)$/;
const POWERTOOLS = /^@aws-lambda-powertools\//;

/** Each layer: the files it covers, the project folders it may import, the packages it may not. */
const LAYERS = [
  {
    files: ['lambdas/core/'],
    mayImport: ['lambdas/core/'],
    importMessage:
      'lambdas/core is pure: it imports only lambdas/core. Reading and writing belong in lambdas/adapters/, orchestration in lambdas/<job>/.',
    forbidPackages: [SDK, NETWORK, POWERTOOLS, /^node:fs(\/promises)?$/],
    packageMessage:
      'lambdas/core is pure: no SDK, Powertools, file or network I/O. Put the call in an adapter (lambdas/adapters/) and pass what it observed in.',
  },
  {
    files: ['lib/', 'bin/'],
    mayImport: ['lib/', 'bin/', 'lambdas/core/'],
    importMessage:
      'lib/ and bin/ (the CDK app) import only lambdas/core (names, schema, pure helpers): handler code, adapters and the CLI must not load at synth. Put a shared name in lambdas/core/shared-names.ts.',
    forbidPackages: [SDK, POWERTOOLS],
    packageMessage:
      'lib/ and bin/ (the CDK app) never load the runtime SDKs or Powertools: grant rights and pass names; the functions make the calls.',
  },
  {
    files: ['lambdas/adapters/'],
    mayImport: ['lambdas/adapters/', 'lambdas/core/'],
    importMessage:
      'adapters only observe or carry out: they import lambdas/core (types, pure helpers) and other adapters, never a job folder or the CLI.',
  },
  {
    files: ['lambdas/shared/'],
    mayImport: ['lambdas/shared/', 'lambdas/core/'],
    importMessage: 'lambdas/shared is handler plumbing: it imports only lambdas/core.',
    forbidPackages: [SDK, NETWORK],
    packageMessage:
      'lambdas/shared is handler plumbing (Powertools, environment): SDK and network calls belong in lambdas/adapters/.',
  },
  {
    // Handlers and executors: lambdas/<job>/.
    files: ['lambdas/'],
    mayImport: ['lambdas/'],
    importMessage: 'Lambda code never imports the CLI, the CDK app or the tests.',
    forbidPackages: [SDK, NETWORK],
    packageMessage:
      'handlers and executors (lambdas/<job>/) make no SDK or network calls themselves: call an adapter in lambdas/adapters/ (add one there if none fits).',
  },
  {
    // The emulated worlds the drill and the tests seed: moto, kube-apiserver, loopback TLS.
    files: ['cli/embedded/', 'cli/emulator/'],
    mayNotImport: ['lib/', 'bin/', 'test/'],
    importMessage: 'cli/ never imports the CDK app (lib/, bin/) or the tests.',
  },
  {
    files: ['cli/'],
    mayNotImport: ['lib/', 'bin/', 'test/'],
    importMessage: 'cli/ never imports the CDK app (lib/, bin/) or the tests.',
    forbidPackages: [SDK, NETWORK],
    packageMessage:
      'the CLI reaches AWS through lambdas/adapters/ (as the handlers do); seeding an emulated world belongs in cli/embedded/ or cli/emulator/.',
  },
];

/**
 * Project modules some layers may not import although their folder is allowed. A Lambda bundle
 * carries every package its imports reach, so one import of clients.ts adds the whole SDK.
 */
const FORBIDDEN_MODULES = [
  {
    module: 'lambdas/adapters/aws/clients',
    importers: ['lambdas/', 'cli/'],
    message:
      "it loads all twelve AWS SDK packages. Import each client from its service's own module in lambdas/adapters/aws/sdk-clients/ (ec2Client from sdk-clients/ec2, s3Client from sdk-clients/s3, clearAwsClientCache from sdk-clients/cache, ...) so each Lambda bundle carries only the SDK clients it calls (issue 17: lean Lambdas) and the CLI loads only the ones its command uses. clients.ts is for tests and benches.",
  },
];

function layerOf(file) {
  return LAYERS.find((layer) => layer.files.some((prefix) => file.startsWith(prefix)));
}

function checkSource(context, node, source) {
  if (typeof source !== 'string') return;
  const root = context.cwd;
  const file = relative(root, context.filename).split('\\').join('/');
  const layer = layerOf(file);
  if (!layer) return;
  if (source.startsWith('.')) {
    const target = relative(root, resolve(dirname(context.filename), source))
      .split('\\')
      .join('/');
    const forbidden = FORBIDDEN_MODULES.find(
      (f) =>
        target.replace(/\.[cm]?[jt]s$/, '') === f.module &&
        f.importers.some((prefix) => file.startsWith(prefix)),
    );
    if (forbidden) {
      context.report({
        node,
        messageId: 'module',
        data: { file, target, message: forbidden.message },
      });
      return;
    }
    const inside = (prefixes) => prefixes.some((p) => `${target}/`.startsWith(p));
    const allowed = layer.mayImport ? inside(layer.mayImport) : !inside(layer.mayNotImport);
    if (!allowed) {
      context.report({
        node,
        messageId: 'layer',
        data: { file, target, message: layer.importMessage },
      });
    }
    return;
  }
  if ((layer.forbidPackages ?? []).some((pattern) => pattern.test(source))) {
    context.report({
      node,
      messageId: 'package',
      data: { file, target: source, message: layer.packageMessage },
    });
  }
}

const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: "drpilot's layer boundaries (README: Architecture)" },
    schema: [],
    messages: {
      layer: '{{file}} may not import {{target}}: {{message}}',
      package: '{{file}} may not import {{target}}: {{message}}',
      module: '{{file}} may not import {{target}}: {{message}}',
    },
  },
  create(context) {
    const visit = (node) => checkSource(context, node, node.source?.value);
    return {
      ImportDeclaration: visit,
      ExportNamedDeclaration: visit,
      ExportAllDeclaration: visit,
      ImportExpression: (node) => checkSource(context, node, node.source?.value),
    };
  },
};

export default { rules: { 'import-boundaries': importBoundaries } };
