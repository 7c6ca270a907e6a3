import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM file paths of a world's throwaway PKI (made with openssl, valid for a day). */
export interface K8sWorldPki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  /** Client certificates: `system:masters` for admin, the controller-manager and kwok. */
  clients: Record<K8sWorldClient, { cert: string; key: string }>;
  /** RSA key pair that signs and verifies service-account tokens. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export type K8sWorldClient = 'admin' | 'controller-manager' | 'scheduler' | 'kwok';

/**
 * Subjects as the API server's authorizer reads them: O is the group, CN the user. The
 * controller-manager runs every controller under its own identity
 * (`--use-service-account-credentials=false`), so it is in system:masters rather than given each
 * controller's role.
 */
const CLIENT_SUBJECTS: Record<K8sWorldClient, string> = {
  admin: '/O=system:masters/CN=drpilot-test-admin',
  'controller-manager': '/O=system:masters/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
  kwok: '/O=system:masters/CN=kwok-controller',
};

const SERVING_SANS = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:10.96.0.1',
].join(',');

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (error as Error).message}`, {
      cause: error,
    });
  }
}

async function issue(
  dir: string,
  name: string,
  subject: string,
  extendedKeyUsage: 'serverAuth' | 'clientAuth',
  subjectAltName?: string,
): Promise<{ cert: string; key: string }> {
  const key = `${name}.key`;
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await openssl(dir, ['req', '-new', '-key', key, '-subj', subject, '-out', `${name}.csr`]);
  await writeFile(
    join(dir, `${name}.ext`),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${extendedKeyUsage}`,
      ...(subjectAltName ? [`subjectAltName=${subjectAltName}`] : []),
    ].join('\n'),
  );
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    // Certificates are issued in parallel: a serial file (-CAcreateserial) would be raced.
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  await rm(join(dir, `${name}.csr`));
  await rm(join(dir, `${name}.ext`));
  return { cert: join(dir, `${name}.crt`), key: join(dir, key) };
}

export async function createK8sWorldPki(dir: string): Promise<K8sWorldPki> {
  await mkdir(dir, { recursive: true });
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=drpilot-test-world-ca',
    '-days',
    '1',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out',
    'ca.crt',
  ]);
  const names = Object.keys(CLIENT_SUBJECTS) as K8sWorldClient[];
  const [apiserver, clients] = await Promise.all([
    issue(dir, 'apiserver', '/CN=kube-apiserver', 'serverAuth', SERVING_SANS),
    Promise.all(
      names.map(
        async (name) =>
          [name, await issue(dir, name, CLIENT_SUBJECTS[name], 'clientAuth')] as const,
      ),
    ),
  ]);
  await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    clients: Object.fromEntries(clients) as K8sWorldPki['clients'],
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

/** A kubeconfig in the JSON form drpilot reads (data embedded), for one of the world's clients. */
export async function kubeconfigFor(
  pki: K8sWorldPki,
  server: string,
  client: K8sWorldClient,
): Promise<string> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'drpilot-test-world',
        cluster: { server, 'certificate-authority-data': await base64(pki.caCert) },
      },
    ],
    users: [
      {
        name: client,
        user: {
          'client-certificate-data': await base64(pki.clients[client].cert),
          'client-key-data': await base64(pki.clients[client].key),
        },
      },
    ],
    contexts: [
      { name: 'drpilot-test-world', context: { cluster: 'drpilot-test-world', user: client } },
    ],
    'current-context': 'drpilot-test-world',
    preferences: {},
  });
}
