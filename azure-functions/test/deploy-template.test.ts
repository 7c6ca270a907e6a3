/**
 * The deployment (issue 13, item 3): deploy/azuredeploy.json is a well-formed ARM template that
 * sets every app setting the code reads, grants exactly the Azure and Kubernetes permissions the
 * code's calls need (found by scanning src/, so a new call without a row below fails here), keeps
 * no secret in plain text, and `npm run build:azure` yields a zip whose entry registers every
 * function in src/functions.
 *
 * Sources for the roles (Microsoft Learn, "Azure built-in roles",
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, and the pages it
 * links per service): role ids and the actions below are copied from there; Key Vault's from
 * "Provide access to Key Vault keys, certificates, and secrets with Azure role-based access
 * control" (key-vault/general/rbac-guide); host storage from "Connecting to host storage with an
 * identity" (azure-functions/functions-reference, Storage Blob Data Owner + queue roles).
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { DnsResolverManagementClient } from '@azure/arm-dnsresolver';
import { NetworkManagementClient } from '@azure/arm-network';
import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import * as k8s from '@kubernetes/client-node';
import { unzipSync } from 'fflate';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, buildFunctionZip, WORKER_PROVIDED } from '../deploy/build-zip';
import {
  corednsAvailableSeconds,
  dnsMode,
  dnsTtlSeconds,
  rulesetSettings,
  SETTINGS,
  vpnConnectionIds,
} from '../src/settings';

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(APP_DIR, 'src');
const template = JSON.parse(readFileSync(join(APP_DIR, 'deploy/azuredeploy.json'), 'utf8'));
const exampleParameters = JSON.parse(
  readFileSync(join(APP_DIR, 'deploy/azuredeploy.parameters.example.json'), 'utf8'),
);
const rbacYaml = readFileSync(join(APP_DIR, 'deploy/rbac.yaml'), 'utf8');

// ---------------------------------------------------------------------------------------------
// The tables: what each call needs, and which role grants it.
// ---------------------------------------------------------------------------------------------

const ROLE = {
  aksClusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;
/** The template's one custom role (its actions are read from the template and checked exactly). */
const CUSTOM_RULESET_ROLE = 'custom:drpilot forwarding rules';

/** Built-in roles as Microsoft Learn lists them (permissions.actions / dataActions). */
const BUILT_IN_ROLES: Record<string, { name: string; actions: string[]; dataActions: string[] }> = {
  [ROLE.aksClusterUser]: {
    name: 'Azure Kubernetes Service Cluster User Role',
    actions: [
      'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
      'Microsoft.ContainerService/managedClusters/read',
    ],
    dataActions: [],
  },
  [ROLE.reader]: { name: 'Reader', actions: ['*/read'], dataActions: [] },
  [ROLE.blobDataOwner]: {
    name: 'Storage Blob Data Owner',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/*',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
  },
  [ROLE.queueDataContributor]: {
    name: 'Storage Queue Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/queueServices/queues/delete',
      'Microsoft.Storage/storageAccounts/queueServices/queues/read',
      'Microsoft.Storage/storageAccounts/queueServices/queues/write',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action',
    ],
  },
  [ROLE.tableDataContributor]: {
    name: 'Storage Table Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/tableServices/tables/read',
      'Microsoft.Storage/storageAccounts/tableServices/tables/write',
      'Microsoft.Storage/storageAccounts/tableServices/tables/delete',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/add/action',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/update/action',
    ],
  },
  [ROLE.keyVaultSecretsUser]: {
    name: 'Key Vault Secrets User',
    actions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  },
};

interface Need {
  /** The ARM operation (an action or a data action, as in the role definitions). */
  action: string;
  role: string;
  /** The resource type the role is assigned on. */
  scope: string;
}

const AKS = 'Microsoft.ContainerService/managedClusters';
const RULESET = 'Microsoft.Network/dnsForwardingRulesets';
const CONNECTION = 'Microsoft.Network/connections';
const STORAGE = 'Microsoft.Storage/storageAccounts';
const VAULT = 'Microsoft.KeyVault/vaults';

/**
 * Every ARM SDK call in src/ (`<operation group>.<method>`, as the SDK clients name them) and the
 * operation it is (Azure resource provider operations: Microsoft.ContainerService,
 * Microsoft.Network).
 */
const ARM_CALLS: Record<string, Need> = {
  'managedClusters.listClusterUserCredentials': {
    action: `${AKS}/listClusterUserCredential/action`,
    role: ROLE.aksClusterUser,
    scope: AKS,
  },
  'agentPools.list': { action: `${AKS}/agentPools/read`, role: ROLE.reader, scope: AKS },
  'forwardingRules.list': {
    action: `${RULESET}/forwardingRules/read`,
    role: CUSTOM_RULESET_ROLE,
    scope: RULESET,
  },
  'forwardingRules.createOrUpdate': {
    action: `${RULESET}/forwardingRules/write`,
    role: CUSTOM_RULESET_ROLE,
    scope: RULESET,
  },
  'virtualNetworkLinks.list': {
    action: `${RULESET}/virtualNetworkLinks/read`,
    role: CUSTOM_RULESET_ROLE,
    scope: RULESET,
  },
  'virtualNetworkGatewayConnections.get': {
    action: `${CONNECTION}/read`,
    role: ROLE.reader,
    scope: CONNECTION,
  },
};

/** Storage data-plane calls (Azure Storage: "Authorize access to ... with Microsoft Entra ID"). */
const TABLE = `${STORAGE}/tableServices/tables`;
const QUEUE = `${STORAGE}/queueServices/queues`;
const DATA_CALLS: Record<string, Need> = {
  'TableClient.createTable': {
    action: `${TABLE}/write`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.getEntity': {
    action: `${TABLE}/entities/read`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.listEntities': {
    action: `${TABLE}/entities/read`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.createEntity': {
    action: `${TABLE}/entities/add/action`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.updateEntity': {
    action: `${TABLE}/entities/update/action`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.upsertEntity': {
    action: `${TABLE}/entities/write`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.submitTransaction': {
    action: `${TABLE}/entities/write`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'TableClient.deleteEntity': {
    action: `${TABLE}/entities/delete`,
    role: ROLE.tableDataContributor,
    scope: STORAGE,
  },
  'QueueClient.createIfNotExists': {
    action: `${QUEUE}/write`,
    role: ROLE.queueDataContributor,
    scope: STORAGE,
  },
  'QueueClient.exists': {
    action: `${QUEUE}/read`,
    role: ROLE.queueDataContributor,
    scope: STORAGE,
  },
  'QueueClient.sendMessage': {
    action: `${QUEUE}/messages/add/action`,
    role: ROLE.queueDataContributor,
    scope: STORAGE,
  },
  'QueueClient.receiveMessages': {
    action: `${QUEUE}/messages/process/action`,
    role: ROLE.queueDataContributor,
    scope: STORAGE,
  },
  'QueueClient.deleteMessage': {
    action: `${QUEUE}/messages/delete`,
    role: ROLE.queueDataContributor,
    scope: STORAGE,
  },
};

/** What the platform does for the code, each tied to what in the code or template causes it. */
const RUNTIME_NEEDS: { because: string; present: () => boolean; need: Need }[] = [
  {
    because: 'host storage by identity (AzureWebJobsStorage__accountName): blob leases and keys',
    present: () => appSettings().has(`${SETTINGS.storage}__accountName`),
    need: {
      action: `${STORAGE}/blobServices/containers/blobs/write`,
      role: ROLE.blobDataOwner,
      scope: STORAGE,
    },
  },
  {
    because: 'a queue trigger (app.storageQueue) reads and deletes its messages',
    present: () => sourceFiles().some((file) => /app\.storageQueue\(/.test(file.text)),
    need: {
      action: `${QUEUE}/messages/process/action`,
      role: ROLE.queueDataContributor,
      scope: STORAGE,
    },
  },
  {
    because: 'the Key Vault reference of an app setting is resolved with the app identity',
    present: () => [...appSettings().values()].some((v) => v.includes("'@Microsoft.KeyVault(")),
    need: {
      action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      role: ROLE.keyVaultSecretsUser,
      scope: VAULT,
    },
  },
];

/**
 * Every Kubernetes API call in src/ (@kubernetes/client-node method) and what deploy/rbac.yaml
 * must allow for it (Kubernetes RBAC: apiGroup, resource, verb).
 */
const KUBERNETES_CALLS: Record<string, { apiGroup: string; resource: string; verb: string }> = {
  readNamespacedConfigMap: { apiGroup: '', resource: 'configmaps', verb: 'get' },
  replaceNamespacedConfigMap: { apiGroup: '', resource: 'configmaps', verb: 'update' },
  readNamespacedDeployment: { apiGroup: 'apps', resource: 'deployments', verb: 'get' },
  patchNamespacedDeployment: { apiGroup: 'apps', resource: 'deployments', verb: 'patch' },
};

// ---------------------------------------------------------------------------------------------
// Scanning src/ for calls.
// ---------------------------------------------------------------------------------------------

interface SourceFile {
  path: string;
  text: string;
}

let sourceCache: SourceFile[] | undefined;
function sourceFiles(): SourceFile[] {
  if (sourceCache) return sourceCache;
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        // Comments name calls without making them.
        const text = readFileSync(path, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/(^|[^:])\/\/.*$/gm, '$1');
        files.push({ path: relative(APP_DIR, path), text });
      }
    }
  };
  walk(SRC);
  sourceCache = files;
  return files;
}

const fakeCredential: TokenCredential = { getToken: async () => null };
const FAKE_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

function methodNames(value: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = value; proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return [...names];
}

/** Operation group → its methods, from the ARM clients the app depends on. */
function armOperationGroups(): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  const clients: object[] = [
    new ContainerServiceClient(fakeCredential, FAKE_SUBSCRIPTION),
    new DnsResolverManagementClient(fakeCredential, FAKE_SUBSCRIPTION),
    new NetworkManagementClient(fakeCredential, FAKE_SUBSCRIPTION),
  ];
  for (const client of clients) {
    for (const [key, value] of Object.entries(client)) {
      if (key.startsWith('_') || key === 'pipeline' || !value || typeof value !== 'object')
        continue;
      const methods = methodNames(value as object);
      if (methods.length === 0) continue;
      const known = groups.get(key) ?? new Set<string>();
      for (const method of methods) known.add(method);
      groups.set(key, known);
    }
  }
  return groups;
}

interface FoundCall {
  call: string;
  file: string;
}

function unique(found: FoundCall[]): FoundCall[] {
  const seen = new Map<string, FoundCall>();
  for (const entry of found) if (!seen.has(entry.call)) seen.set(entry.call, entry);
  return [...seen.values()].sort((a, b) => a.call.localeCompare(b.call));
}

/** `<group>.<method>(` for every ARM operation group and one of its methods. */
function scanArmCalls(): FoundCall[] {
  const groups = armOperationGroups();
  const found: FoundCall[] = [];
  for (const file of sourceFiles()) {
    for (const match of file.text.matchAll(/\b([a-zA-Z]\w*)\s*\.\s*(\w+)\s*\(/g)) {
      const [, group, method] = match;
      if (group && method && groups.get(group)?.has(method)) {
        found.push({ call: `${group}.${method}`, file: file.path });
      }
    }
  }
  return unique(found);
}

/** `.<method>(` of a data-plane client, in the files that import its package. */
function scanDataCalls(): FoundCall[] {
  const sdks: { name: string; pkg: string; methods: string[] }[] = [
    { name: 'TableClient', pkg: '@azure/data-tables', methods: methodNames(TableClient.prototype) },
    {
      name: 'QueueClient',
      pkg: '@azure/storage-queue',
      methods: methodNames(QueueClient.prototype),
    },
  ];
  const found: FoundCall[] = [];
  for (const file of sourceFiles()) {
    for (const sdk of sdks) {
      if (!file.text.includes(`'${sdk.pkg}'`)) continue;
      for (const match of file.text.matchAll(/\.\s*(\w+)\s*(?:<[^>()]*>)?\s*\(/g)) {
        const method = match[1];
        if (method && sdk.methods.includes(method)) {
          found.push({ call: `${sdk.name}.${method}`, file: file.path });
        }
      }
    }
  }
  return unique(found);
}

/** Methods of the @kubernetes/client-node API classes called in files that import the package. */
function scanKubernetesCalls(): FoundCall[] {
  const methods = new Set<string>();
  for (const [name, value] of Object.entries(k8s)) {
    if (/^\w+Api$/.test(name) && typeof value === 'function' && value.prototype) {
      // Generated calls are a verb and a kind (readNamespacedConfigMap), never a bare verb.
      for (const method of methodNames(value.prototype as object)) {
        if (/^[a-z]+[A-Z]\w+$/.test(method)) methods.add(method);
      }
    }
  }
  // Shared helpers of every generated API class, not API calls.
  for (const helper of ['setDefaultAuthentication', 'addInterceptor', 'setApiKey'])
    methods.delete(helper);
  const found: FoundCall[] = [];
  for (const file of sourceFiles()) {
    if (!file.text.includes(`'@kubernetes/client-node'`)) continue;
    for (const match of file.text.matchAll(/\.\s*(\w+)\s*\(/g)) {
      const method = match[1];
      if (method && methods.has(method)) found.push({ call: method, file: file.path });
    }
  }
  return unique(found);
}

// ---------------------------------------------------------------------------------------------
// Reading the template.
// ---------------------------------------------------------------------------------------------

type Json = any;

/** Every resource, nested deployments' templates included, with the template it sits in. */
function allResources(root: Json = template): { resource: Json; owner: Json; parent?: Json }[] {
  const out: { resource: Json; owner: Json; parent?: Json }[] = [];
  const visit = (owner: Json, parent?: Json) => {
    for (const resource of owner.resources ?? []) {
      out.push({ resource, owner, parent });
      if (resource.type === 'Microsoft.Resources/deployments' && resource.properties?.template) {
        visit(resource.properties.template, resource);
      }
    }
  };
  visit(root);
  return out;
}

function site(): Json {
  const sites = template.resources.filter((r: Json) => r.type === 'Microsoft.Web/sites');
  expect(sites).toHaveLength(1);
  return sites[0];
}

function appSettings(): Map<string, string> {
  const list: { name: string; value: string }[] = site().properties.siteConfig.appSettings;
  return new Map(list.map(({ name, value }) => [name, value]));
}

interface Assignment {
  role: string;
  scope: string;
  /** For the custom role: its actions, resolved. */
  actions?: string[];
}

function resolveVariableOrParameter(expression: string, owner: Json, parent?: Json): unknown {
  const parameter = /^\[parameters\('(\w+)'\)\]$/.exec(expression);
  if (parameter && parent) {
    const passed = parent.properties.parameters[parameter[1]!]?.value;
    return typeof passed === 'string' ? resolveVariableOrParameter(passed, template) : passed;
  }
  const variable = /^\[variables\('(\w+)'\)\]$/.exec(expression);
  if (variable) return owner.variables?.[variable[1]!];
  return expression;
}

function roleAssignments(): Assignment[] {
  const everything = allResources();
  return everything
    .filter(({ resource }) => resource.type === 'Microsoft.Authorization/roleAssignments')
    .map(({ resource, owner, parent }) => {
      const scope = /format\('([^{']+)\/\{0\}'/.exec(resource.scope ?? '')?.[1];
      expect(scope, `role assignment ${resource.name} names its scope`).toBeTruthy();
      const definition: string = resource.properties.roleDefinitionId;
      const guid = /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/.exec(
        definition,
      )?.[1];
      if (guid) return { role: guid, scope: scope! };
      const variable = /variables\('roles'\)\.(\w+)/.exec(definition)?.[1];
      if (variable) return { role: owner.variables.roles[variable], scope: scope! };
      // A custom role defined next to the assignment.
      const custom = owner.resources.find(
        (r: Json) =>
          r.type === 'Microsoft.Authorization/roleDefinitions' &&
          definition.includes(inner(r.name)),
      );
      expect(
        custom,
        `role assignment ${resource.name}: a built-in role id or a custom role`,
      ).toBeTruthy();
      const permissions = custom.properties.permissions;
      expect(permissions).toHaveLength(1);
      expect(permissions[0].dataActions ?? []).toEqual([]);
      expect(permissions[0].notActions ?? []).toEqual([]);
      const actions = resolveVariableOrParameter(permissions[0].actions, owner, parent);
      expect(Array.isArray(actions)).toBe(true);
      const name = /'(drpilot [^']+)'/.exec(custom.name)?.[1];
      return { role: `custom:${name}`, scope: scope!, actions: actions as string[] };
    });
}

/** `[guid(x)]` → `guid(x)`. */
function inner(expression: string): string {
  return expression.replace(/^\[/, '').replace(/\]$/, '');
}

function grants(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(action);
}

function roleGrants(assignment: Assignment, action: string): boolean {
  if (assignment.actions) return assignment.actions.some((pattern) => grants(pattern, action));
  const role = BUILT_IN_ROLES[assignment.role];
  if (!role) return false;
  return [...role.actions, ...role.dataActions].some((pattern) => grants(pattern, action));
}

// ---------------------------------------------------------------------------------------------

describe('deploy/azuredeploy.json: an ARM template', () => {
  it('has the deployment template schema, and every resource a type, an apiVersion and a name', () => {
    const check = (doc: Json) => {
      expect(doc.$schema).toMatch(
        /^https:\/\/schema\.management\.azure\.com\/schemas\/2019-04-01\/deploymentTemplate\.json#$/,
      );
      expect(doc.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(Array.isArray(doc.resources)).toBe(true);
    };
    check(template);
    const all = allResources();
    expect(all.length).toBeGreaterThan(8);
    for (const { resource, owner } of all) {
      if (owner !== template) check(owner);
      expect(resource.type, JSON.stringify(resource).slice(0, 80)).toMatch(
        /^[A-Z]\w+\.\w+\/\w+(\/\w+)*$/,
      );
      expect(resource.apiVersion, resource.type).toMatch(/^\d{4}-\d{2}-\d{2}(-preview)?$/);
      expect(typeof resource.name, resource.type).toBe('string');
      // A child type names one segment per level: "parent/child" for Microsoft.X/parents/children.
      if (!resource.name.startsWith('[')) {
        expect(resource.name.split('/').length, resource.type).toBe(
          resource.type.split('/').length - 1,
        );
      }
    }
  });

  it('references only parameters and variables it declares, in each template scope', () => {
    const strings = (node: Json, skipTemplates: boolean): string[] => {
      if (typeof node === 'string') return [node];
      if (Array.isArray(node)) return node.flatMap((item) => strings(item, skipTemplates));
      if (node && typeof node === 'object') {
        return Object.entries(node).flatMap(([key, value]) =>
          skipTemplates && key === 'template' ? [] : strings(value, skipTemplates),
        );
      }
      return [];
    };
    const checkScope = (doc: Json) => {
      const text = strings({ ...doc, parameters: undefined }, true).join('\n');
      const parameters = [...text.matchAll(/parameters\('(\w+)'\)/g)].map((m) => m[1]);
      const variables = [...text.matchAll(/variables\('(\w+)'\)/g)].map((m) => m[1]);
      expect(parameters.length).toBeGreaterThan(0);
      for (const name of parameters) expect(Object.keys(doc.parameters ?? {})).toContain(name);
      for (const name of variables) expect(Object.keys(doc.variables ?? {})).toContain(name);
      // Each declared parameter is used.
      for (const name of Object.keys(doc.parameters ?? {})) expect(parameters).toContain(name);
    };
    checkScope(template);
    const nested = allResources().filter(
      ({ resource }) => resource.type === 'Microsoft.Resources/deployments',
    );
    expect(nested.length).toBeGreaterThanOrEqual(3);
    for (const { resource } of nested) {
      expect(resource.properties.expressionEvaluationOptions).toEqual({ scope: 'inner' });
      checkScope(resource.properties.template);
      // What a nested template declares, its deployment passes.
      expect(Object.keys(resource.properties.parameters).sort()).toEqual(
        Object.keys(resource.properties.template.parameters).sort(),
      );
    }
  });

  it('depends only on resources it declares in the same template', () => {
    for (const { resource, owner } of allResources()) {
      for (const dependency of resource.dependsOn ?? []) {
        const type = /^\[resourceId\('([^']+)'/.exec(dependency)?.[1];
        expect(type, `${resource.type} dependsOn ${dependency}`).toBeTruthy();
        const declared = owner.resources.map((r: Json) => r.type);
        expect(declared, `${resource.type} dependsOn ${dependency}`).toContain(type);
      }
    }
  });

  it('has an example parameters file for its parameters, the secret left to the command line', () => {
    expect(exampleParameters.$schema).toMatch(/deploymentParameters\.json#$/);
    const declared = template.parameters as Record<string, Json>;
    for (const name of Object.keys(exampleParameters.parameters)) {
      expect(Object.keys(declared)).toContain(name);
    }
    for (const [name, parameter] of Object.entries(declared)) {
      const required = parameter.defaultValue === undefined;
      if (parameter.type === 'securestring') {
        expect(Object.keys(exampleParameters.parameters)).not.toContain(name);
      } else if (required) {
        expect(Object.keys(exampleParameters.parameters), `required ${name}`).toContain(name);
      }
    }
  });

  it('runs the app on Flex Consumption, VNet-integrated, with a system-assigned identity', () => {
    const plan = template.resources.find((r: Json) => r.type === 'Microsoft.Web/serverfarms');
    expect(plan.sku).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
    const app = site();
    expect(app.identity).toEqual({ type: 'SystemAssigned' });
    expect(app.kind).toBe('functionapp,linux');
    expect(app.properties.virtualNetworkSubnetId).toBe("[parameters('integrationSubnetId')]");
    expect(app.properties.httpsOnly).toBe(true);
    expect(app.properties.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    expect(app.properties.functionAppConfig.deployment.storage.authentication).toEqual({
      type: 'SystemAssignedIdentity',
    });
    const packageJson = JSON.parse(readFileSync(join(APP_DIR, 'package.json'), 'utf8'));
    expect(packageJson.dependencies['@azure/functions']).toMatch(/^4\./);
  });
});

describe('app settings', () => {
  it('sets every setting settings.ts declares (host storage by identity, not by key)', () => {
    const settings = appSettings();
    const missing = Object.values(SETTINGS).filter((name) => {
      // The queue trigger's `connection: AzureWebJobsStorage` resolves the identity-based
      // `AzureWebJobsStorage__accountName` in Azure; the plain setting would be a keyed string.
      if (name === SETTINGS.storage) return !settings.has(`${name}__accountName`);
      return !settings.has(name);
    });
    expect(missing).toEqual([]);
    expect(settings.has(SETTINGS.storage)).toBe(false);
    expect(settings.get(`${SETTINGS.storage}__credential`)).toBe('managedidentity');
  });

  it('passes values settings.ts accepts: its ranges, its modes, and the example resource ids', () => {
    const parameters = template.parameters as Record<string, Json>;
    for (const mode of parameters.dnsMode.allowedValues) {
      expect(dnsMode({ [SETTINGS.dnsMode]: mode })).toBe(mode);
    }
    const seconds = parameters.corednsAvailableSeconds;
    for (const value of [seconds.minValue, seconds.defaultValue, seconds.maxValue]) {
      expect(corednsAvailableSeconds({ [SETTINGS.corednsAvailableSeconds]: String(value) })).toBe(
        value,
      );
    }
    for (const value of [parameters.dnsTtl.minValue, parameters.dnsTtl.maxValue]) {
      expect(dnsTtlSeconds({ [SETTINGS.dnsTtl]: String(value) })).toBe(value);
    }
    const example = exampleParameters.parameters;
    const ruleset = rulesetSettings({
      [SETTINGS.forwardingRulesetId]: example.forwardingRulesetId.value,
      [SETTINGS.aksVnetId]: example.aksVnetId.value,
    });
    expect(ruleset.ruleset.name).toBe('acme-ruleset');
    expect(
      vpnConnectionIds({
        [SETTINGS.vpnConnectionIds]: example.vpnConnectionIds.value.join(','),
      }).map((id) => id.name),
    ).toEqual(['acme-to-aws-tunnel-1']);
    // The AKS settings are the cluster id's segments 2, 4 and 8, as the template splits them.
    const aks = template.variables.aks;
    expect(aks).toEqual({
      subscriptionId: "[split(parameters('aksClusterId'), '/')[2]]",
      resourceGroup: "[split(parameters('aksClusterId'), '/')[4]]",
      name: "[split(parameters('aksClusterId'), '/')[8]]",
    });
    const segments = (example.aksClusterId.value as string).split('/');
    expect([segments[6], segments[7]]).toEqual(['Microsoft.ContainerService', 'managedClusters']);
    expect(segments[8]).toBe('acme-test');
  });

  it('sets nothing the code does not read, and the code reads settings only through SETTINGS', () => {
    const declared = new Set<string>(Object.values(SETTINGS));
    const extra = [...appSettings().keys()].filter(
      (name) => !declared.has(name) && name !== `${SETTINGS.storage}__credential`,
    );
    expect(extra).toEqual([]);
    const literalReads = sourceFiles()
      .filter((file) => file.path !== join('src', 'settings.ts'))
      .flatMap((file) =>
        [...file.text.matchAll(/process\.env(?:\.(\w+)|\[\s*['"`](\w+)['"`]\s*\])/g)].map(
          (m) => `${file.path}: ${m[1] ?? m[2]}`,
        ),
      );
    expect(literalReads).toEqual([]);
  });
});

describe('role assignments: every call allowed, nothing granted that no call needs', () => {
  const assignments = () => roleAssignments();

  it('has a table row for every ARM, storage and Kubernetes call in src/', () => {
    const arm = scanArmCalls();
    const data = scanDataCalls();
    const kube = scanKubernetesCalls();
    // The scan finds what the code is known to call (proof that it works at all).
    expect(arm.map((c) => c.call)).toEqual(
      expect.arrayContaining(['managedClusters.listClusterUserCredentials', 'agentPools.list']),
    );
    expect(data.map((c) => c.call)).toEqual(
      expect.arrayContaining(['TableClient.submitTransaction', 'QueueClient.sendMessage']),
    );
    expect(kube.map((c) => c.call)).toEqual(expect.arrayContaining(['replaceNamespacedConfigMap']));
    const unlisted = [
      ...arm.filter((c) => !ARM_CALLS[c.call]),
      ...data.filter((c) => !DATA_CALLS[c.call]),
      ...kube.filter((c) => !KUBERNETES_CALLS[c.call]),
    ].map((c) => `${c.file}: ${c.call}`);
    expect(unlisted).toEqual([]);
  });

  it('lists no call the code does not make', () => {
    const made = new Set([...scanArmCalls(), ...scanDataCalls()].map((c) => c.call));
    const stale = Object.entries({ ...ARM_CALLS, ...DATA_CALLS })
      .filter(([call]) => !made.has(call))
      .map(([call]) => call);
    expect(stale).toEqual([]);
    const kubeMade = new Set(scanKubernetesCalls().map((c) => c.call));
    expect(Object.keys(KUBERNETES_CALLS).filter((call) => !kubeMade.has(call))).toEqual([]);
  });

  it('grants each needed action through a role assigned on the right resource type', () => {
    const needs = [
      ...Object.entries({ ...ARM_CALLS, ...DATA_CALLS }).map(([call, need]) => ({ call, need })),
      ...RUNTIME_NEEDS.filter((n) => n.present()).map((n) => ({ call: n.because, need: n.need })),
    ];
    expect(RUNTIME_NEEDS.every((n) => n.present())).toBe(true);
    const refused = needs
      .filter(
        ({ need }) =>
          !assignments().some(
            (a) => a.role === need.role && a.scope === need.scope && roleGrants(a, need.action),
          ),
      )
      .map(({ call, need }) => `${call}: ${need.action} on ${need.scope}`);
    expect(refused).toEqual([]);
  });

  it('assigns no role, and gives the custom role no action, that the table does not need', () => {
    const made = new Set([...scanArmCalls(), ...scanDataCalls()].map((c) => c.call));
    const needs = [
      ...Object.entries({ ...ARM_CALLS, ...DATA_CALLS })
        .filter(([call]) => made.has(call))
        .map(([, need]) => need),
      ...RUNTIME_NEEDS.filter((n) => n.present()).map((n) => n.need),
    ];
    const unneeded = assignments()
      .filter((a) => !needs.some((need) => need.role === a.role && need.scope === a.scope))
      .map((a) => `${BUILT_IN_ROLES[a.role]?.name ?? a.role} on ${a.scope}`);
    expect(unneeded).toEqual([]);
    const custom = assignments().filter((a) => a.actions);
    expect(custom.map((a) => a.role)).toEqual([CUSTOM_RULESET_ROLE]);
    for (const role of custom) {
      const wanted = [
        ...new Set(needs.filter((n) => n.role === role.role).map((n) => n.action)),
      ].sort();
      expect([...role.actions!].sort()).toEqual(wanted);
    }
    // No owner-like role anywhere: every assigned built-in role is one of the table's.
    for (const a of assignments().filter((x) => !x.actions)) {
      expect(Object.keys(BUILT_IN_ROLES)).toContain(a.role);
    }
  });

  it('assigns each role to the app identity as a service principal', () => {
    for (const { resource } of allResources().filter(
      ({ resource }) => resource.type === 'Microsoft.Authorization/roleAssignments',
    )) {
      expect(resource.properties.principalType).toBe('ServicePrincipal');
      expect(resource.properties.principalId).toMatch(
        /^\[(reference\(resourceId\('Microsoft\.Web\/sites', parameters\('appName'\)\), '[\d-]+', 'full'\)\.identity\.principalId|parameters\('principalId'\))\]$/,
      );
    }
  });

  it('deploy/rbac.yaml allows every Kubernetes call in src/ and nothing else', () => {
    const documents = k8s.loadAllYaml(rbacYaml) as Json[];
    const role = documents.find((d) => d?.kind === 'Role');
    expect(role.metadata.namespace).toBe('kube-system');
    const allowed = new Set<string>(
      role.rules.flatMap((rule: Json) =>
        rule.apiGroups.flatMap((g: string) =>
          rule.resources.flatMap((r: string) => rule.verbs.map((v: string) => `${g}/${r}/${v}`)),
        ),
      ),
    );
    const needed = new Set(
      scanKubernetesCalls().map((c) => {
        const need = KUBERNETES_CALLS[c.call]!;
        return `${need.apiGroup}/${need.resource}/${need.verb}`;
      }),
    );
    expect([...needed].filter((n) => !allowed.has(n))).toEqual([]);
    expect([...allowed].filter((a) => !needed.has(a))).toEqual([]);
    for (const rule of role.rules) expect(rule.resourceNames?.length).toBeGreaterThan(0);
  });
});

describe('no secret in plain text', () => {
  it('takes the webhook secret as a securestring without default and stores it in Key Vault only', () => {
    const parameters = template.parameters as Record<string, Json>;
    for (const [name, parameter] of Object.entries(parameters)) {
      if (/secure/i.test(parameter.type)) expect(parameter.defaultValue, name).toBeUndefined();
      if (/secret|key|password/i.test(name) && !/name$/i.test(name)) {
        expect(parameter.type, name).toBe('securestring');
      }
    }
    const secret = template.resources.find(
      (r: Json) => r.type === 'Microsoft.KeyVault/vaults/secrets',
    );
    expect(secret.properties.value).toBe("[parameters('webhookSecret')]");
    // Nothing else reads the secret parameter: not an app setting, not an output.
    const uses = JSON.stringify(template).match(/parameters\('webhookSecret'\)/g) ?? [];
    expect(uses).toHaveLength(1);
    expect(appSettings().get(SETTINGS.webhookSecret)).toMatch(
      /^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/\{1\}\/\)'/,
    );
    const vault = template.resources.find((r: Json) => r.type === 'Microsoft.KeyVault/vaults');
    expect(vault.properties.enableRbacAuthorization).toBe(true);
  });

  it('uses no storage key: shared-key access off, no listKeys, no connection string', () => {
    const storage = template.resources.find(
      (r: Json) => r.type === 'Microsoft.Storage/storageAccounts',
    );
    expect(storage.properties.allowSharedKeyAccess).toBe(false);
    expect(storage.properties.allowBlobPublicAccess).toBe(false);
    const text = JSON.stringify(template);
    expect(text).not.toMatch(/listKeys|listAccountSas|listServiceSas|AccountKey=/i);
  });

  it('holds no key-like literal in the template or the example parameters', () => {
    const literals = (node: Json): string[] => {
      if (typeof node === 'string') return node.startsWith('[') ? [] : [node];
      if (Array.isArray(node)) return node.flatMap(literals);
      if (node && typeof node === 'object') return Object.values(node).flatMap(literals);
      return [];
    };
    const suspicious = [...literals(template), ...literals(exampleParameters)].filter(
      (value) =>
        /AccountKey=|SharedAccessKey|sig=|InstrumentationKey=|-----BEGIN|password/i.test(value) ||
        /[A-Za-z0-9+/]{40,}={0,2}/.test(value.replace(/[A-Za-z]+\/[A-Za-z/]+/g, '')) ||
        /\b[0-9a-f]{32,}\b/i.test(
          value.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ''),
        ),
    );
    expect(suspicious).toEqual([]);
    // The one app setting that is a constant string is not a secret either.
    const constants = [...appSettings().entries()].filter(([, value]) => !value.startsWith('['));
    expect(constants).toEqual([[`${SETTINGS.storage}__credential`, 'managedidentity']]);
  });
});

describe('npm run build:azure', () => {
  let dir: string;
  let zipPath: string;
  let entries: Record<string, Uint8Array>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drpilot-zip-'));
    zipPath = join(dir, 'drpilot-functions.zip');
    await buildFunctionZip(zipPath);
    entries = unzipSync(readFileSync(zipPath));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is the root script that runs deploy/build-zip.ts', () => {
    const rootPackage = JSON.parse(readFileSync(join(APP_DIR, '..', 'package.json'), 'utf8'));
    expect(rootPackage.scripts['build:azure']).toBe('tsx azure-functions/deploy/build-zip.ts');
  });

  it('zips host.json, a package.json whose main is the bundle, and the bundle at the root', () => {
    expect(Object.keys(entries).sort()).toEqual(['host.json', 'index.js', 'package.json']);
    expect(JSON.parse(Buffer.from(entries['host.json']!).toString('utf8'))).toEqual(
      JSON.parse(readFileSync(join(APP_DIR, 'host.json'), 'utf8')),
    );
    const deployed = JSON.parse(Buffer.from(entries['package.json']!).toString('utf8'));
    expect(deployed.main).toBe(BUNDLE_ENTRY);
    expect(deployed.dependencies).toEqual({});
  });

  it('bundles every npm dependency: the bundle requires only Node built-ins and the worker', () => {
    const bundle = Buffer.from(entries[BUNDLE_ENTRY]!).toString('utf8');
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
    const builtins = new Set(builtinModules);
    // Optional native speed-ups that ws and node-fetch try inside try/catch.
    const optional = new Set(['bufferutil', 'utf-8-validate', 'encoding']);
    const outside = [...required].filter(
      (name) =>
        !builtins.has(name.replace(/^node:/, '')) &&
        !WORKER_PROVIDED.includes(name) &&
        !optional.has(name),
    );
    expect(outside).toEqual([]);
    for (const name of optional) {
      if (!required.has(name)) continue;
      const at = bundle.indexOf(`require("${name}")`);
      expect(bundle.slice(Math.max(0, at - 400), at), name).toMatch(/try\s*\{/);
    }
  });

  it('loads and registers every function in src/functions with the worker', () => {
    const unpacked = join(dir, 'wwwroot');
    mkdirSync(unpacked);
    for (const [name, data] of Object.entries(entries)) writeFileSync(join(unpacked, name), data);
    // The Node.js worker provides @azure/functions-core; this stand-in records registrations.
    const core = join(unpacked, 'node_modules', '@azure', 'functions-core');
    mkdirSync(core, { recursive: true });
    writeFileSync(join(core, 'package.json'), '{"name":"@azure/functions-core","main":"index.js"}');
    writeFileSync(
      join(core, 'index.js'),
      `const registered = [];
globalThis.__registered = registered;
module.exports = {
  setProgrammingModel() {},
  getProgrammingModel() {},
  registerHook() { return { dispose() {} }; },
  registerFunction(metadata) {
    registered.push({ name: metadata.name, bindings: Object.values(metadata.bindings).map((b) => b.type) });
    return { dispose() {} };
  },
};`,
    );
    const deployed = JSON.parse(Buffer.from(entries['package.json']!).toString('utf8'));
    const output = execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(unpacked, deployed.main))});
         process.stdout.write(JSON.stringify(globalThis.__registered));`,
      ],
      { cwd: unpacked, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    const registered = JSON.parse(output) as { name: string; bindings: string[] }[];
    const functionsDir = join(SRC, 'functions');
    const expected = readdirSync(functionsDir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        const text = readFileSync(join(functionsDir, file), 'utf8');
        const names = [...text.matchAll(/\bapp\.\w+\(\s*['"`]([\w-]+)['"`]/g)].map((m) => m[1]!);
        expect(names, `${file} registers a function`).not.toEqual([]);
        return names;
      });
    expect(registered.map((r) => r.name).sort()).toEqual(expected.sort());
    expect(registered.find((r) => r.name === 'events')?.bindings).toContain('httpTrigger');
  });

  it('serves the events function at /api/events (the default route prefix)', () => {
    const host = JSON.parse(readFileSync(join(APP_DIR, 'host.json'), 'utf8'));
    expect(host.extensions?.http?.routePrefix ?? 'api').toBe('api');
    const events = readFileSync(join(SRC, 'functions', 'events.ts'), 'utf8');
    expect(events).toMatch(/route:\s*'events'/);
  });
});
