/**
 * Reads the credentials of the current context from a kubeconfig.
 *
 * The kubeconfig lives in the Secrets Manager secret named by the node group's
 * `kubernetes.kubeconfigSecret`, and it must be stored **as JSON** — YAML needs a parser this
 * project does not ship, and kubectl reads (and writes) the JSON form just as well:
 *
 *     kubectl config view --raw --flatten --minify -o json > kubeconfig.json
 *     aws secretsmanager create-secret --name <kubeconfigSecret> --secret-string file://kubeconfig.json
 *
 * `--raw` keeps the secrets, `--flatten` embeds certificate files as `*-data`, `--minify` keeps
 * only the current context. A Lambda has no files and no helper binaries, so file references
 * (`certificate-authority`, `client-certificate`, `tokenFile`, …) and `exec`/`auth-provider`
 * plugins are refused with an error that says what to embed instead.
 */

export interface KubeCredentials {
  /** API server URL, e.g. `https://10.0.0.10:6443` or a Rancher proxy URL with a path. */
  server: string;
  /** PEM of the CA that signed the API server's certificate; absent → the system CAs. */
  caData?: string;
  /** Bearer token. */
  token?: string;
  /** PEM client certificate (with `clientKeyData`). */
  clientCertData?: string;
  /** PEM client private key. */
  clientKeyData?: string;
  /** TLS server name to check the certificate against, when it differs from the URL's host. */
  tlsServerName?: string;
}

/** The kubeconfig cannot be used; the message names the field that is missing or wrong. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const HOW_TO =
  'store the JSON form with embedded data: kubectl config view --raw --flatten --minify -o json';

function namedEntry(config: Json, list: string, name: string, field: string): Json {
  const entries = config[list];
  if (!Array.isArray(entries)) {
    throw new KubeconfigError(`kubeconfig has no "${list}" list`);
  }
  const entry = entries.find((candidate) => isObject(candidate) && candidate['name'] === name);
  if (!isObject(entry)) {
    const known = entries
      .filter(isObject)
      .map((candidate) => JSON.stringify(candidate['name']))
      .join(', ');
    throw new KubeconfigError(
      `kubeconfig "${list}" has no entry named "${name}"${known ? ` (have ${known})` : ''}`,
    );
  }
  const body = entry[field];
  if (!isObject(body)) {
    throw new KubeconfigError(`kubeconfig ${list} entry "${name}" has no "${field}" object`);
  }
  return body;
}

function optionalString(body: Json, key: string, where: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new KubeconfigError(`kubeconfig ${where} "${key}" must be a string`);
  }
  return value;
}

function decodePem(base64: string, key: string, where: string, marker: string): string {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (!text.includes(`-----BEGIN `) || !text.includes(marker)) {
    throw new KubeconfigError(
      `kubeconfig ${where} "${key}" is not base64-encoded PEM (expected ${marker})`,
    );
  }
  return text;
}

function refuse(body: Json, keys: string[], where: string, instead: string): void {
  for (const key of keys) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== '') {
      throw new KubeconfigError(
        `kubeconfig ${where} uses "${key}", which a Lambda cannot use; ${instead} (${HOW_TO})`,
      );
    }
  }
}

/**
 * Parses a kubeconfig in JSON form and returns the server and credentials of `context`
 * (default: `current-context`). Throws {@link KubeconfigError} naming what is missing.
 */
export function parseKubeconfig(text: string, options: { context?: string } = {}): KubeCredentials {
  const trimmed = text.trim();
  if (trimmed === '') throw new KubeconfigError('kubeconfig is empty');
  if (!trimmed.startsWith('{')) {
    throw new KubeconfigError(`kubeconfig is not JSON (YAML is not supported); ${HOW_TO}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(trimmed);
  } catch (error) {
    throw new KubeconfigError(`kubeconfig is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(config)) throw new KubeconfigError('kubeconfig must be a JSON object');

  const contextName = options.context ?? config['current-context'];
  if (typeof contextName !== 'string' || contextName === '') {
    throw new KubeconfigError('kubeconfig has no "current-context" (and no context was given)');
  }
  const context = namedEntry(config, 'contexts', contextName, 'context');
  const clusterName = context['cluster'];
  if (typeof clusterName !== 'string' || clusterName === '') {
    throw new KubeconfigError(`kubeconfig context "${contextName}" names no "cluster"`);
  }
  const userName = context['user'];
  if (typeof userName !== 'string' || userName === '') {
    throw new KubeconfigError(`kubeconfig context "${contextName}" names no "user"`);
  }

  const cluster = namedEntry(config, 'clusters', clusterName, 'cluster');
  const clusterWhere = `cluster "${clusterName}"`;
  const server = optionalString(cluster, 'server', clusterWhere);
  if (!server) throw new KubeconfigError(`kubeconfig ${clusterWhere} has no "server"`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(`kubeconfig ${clusterWhere} "server" is not a URL: ${server}`);
  }
  if (url.protocol !== 'https:') {
    throw new KubeconfigError(`kubeconfig ${clusterWhere} "server" must be https: ${server}`);
  }
  refuse(cluster, ['certificate-authority'], clusterWhere, 'embed "certificate-authority-data"');
  if (cluster['insecure-skip-tls-verify'] === true) {
    throw new KubeconfigError(
      `kubeconfig ${clusterWhere} sets "insecure-skip-tls-verify": drpilot always verifies the API server; embed "certificate-authority-data"`,
    );
  }
  const caBase64 = optionalString(cluster, 'certificate-authority-data', clusterWhere);
  const tlsServerName = optionalString(cluster, 'tls-server-name', clusterWhere);

  const user = namedEntry(config, 'users', userName, 'user');
  const userWhere = `user "${userName}"`;
  refuse(user, ['exec', 'auth-provider'], userWhere, 'use a service-account token instead');
  refuse(user, ['tokenFile'], userWhere, 'embed "token"');
  refuse(
    user,
    ['client-certificate', 'client-key'],
    userWhere,
    'embed "client-certificate-data" and "client-key-data"',
  );
  if (user['username'] !== undefined || user['password'] !== undefined) {
    throw new KubeconfigError(
      `kubeconfig ${userWhere} uses basic auth ("username"/"password"), which Kubernetes removed; use a token`,
    );
  }
  const token = optionalString(user, 'token', userWhere);
  const certBase64 = optionalString(user, 'client-certificate-data', userWhere);
  const keyBase64 = optionalString(user, 'client-key-data', userWhere);
  if (Boolean(certBase64) !== Boolean(keyBase64)) {
    throw new KubeconfigError(
      `kubeconfig ${userWhere} has ${certBase64 ? '"client-certificate-data" but no "client-key-data"' : '"client-key-data" but no "client-certificate-data"'}`,
    );
  }
  if (!token && !certBase64) {
    throw new KubeconfigError(
      `kubeconfig ${userWhere} has no credentials: expected "token" or "client-certificate-data" with "client-key-data"`,
    );
  }

  const credentials: KubeCredentials = { server: server.replace(/\/+$/, '') };
  if (caBase64) {
    credentials.caData = decodePem(
      caBase64,
      'certificate-authority-data',
      clusterWhere,
      'CERTIFICATE',
    );
  }
  if (tlsServerName) credentials.tlsServerName = tlsServerName;
  if (token) credentials.token = token;
  if (certBase64 && keyBase64) {
    credentials.clientCertData = decodePem(
      certBase64,
      'client-certificate-data',
      userWhere,
      'CERTIFICATE',
    );
    credentials.clientKeyData = decodePem(keyBase64, 'client-key-data', userWhere, 'PRIVATE KEY');
  }
  return credentials;
}
