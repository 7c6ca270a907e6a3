import { get } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDrillCa,
  issueExpiredCertificate,
  issueNotYetValidCertificate,
  issueUntrustedCertificate,
  issueValidCertificate,
  issueWrongSanCertificate,
  type DrillCa,
  type IssuedCertificate,
} from '../../cli/embedded/tls/drill-certificates';
import {
  localResolver,
  startTlsEndpoint,
  type LocalTlsEndpoint,
  type TlsEndpointOptions,
} from '../../cli/embedded/tls/local-tls-endpoint';
import {
  dnsResolver,
  probeTls,
  trustedCertificates,
  type Resolver,
} from '../../lambdas/adapters/tls/tls-probe';

const MAIN = 'main.example.com';
const PRIMARY = 'primary.example.com';
const DR = 'dr.example.com';

/** Certificates carry seconds; expected details are built from whole seconds too. */
const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

let ca: DrillCa;
let good: IssuedCertificate;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ca = await createDrillCa();
  good = await issueValidCertificate(ca, [MAIN, DR]);
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function serve(options: TlsEndpointOptions): Promise<LocalTlsEndpoint> {
  const endpoint = await startTlsEndpoint(options);
  cleanups.push(() => endpoint.close());
  return endpoint;
}

/** Serves `cert` as the DR endpoint and returns a resolver that knows only that name. */
async function serveAsDr(options: TlsEndpointOptions): Promise<Resolver> {
  const endpoint = await serve(options);
  return localResolver({ [DR]: endpoint });
}

/** A plain TCP server on 127.0.0.1; its connections are destroyed when the test ends. */
async function startTcpServer(onConnection: (socket: Socket) => void): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  );
  return { port: (server.address() as AddressInfo).port };
}

/** A port on 127.0.0.1 that nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('probeTls against local drill endpoints', () => {
  it('accepts a certificate from the drill CA whose SANs cover the main name', async () => {
    const endpoint = await serve(good);
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: localResolver({ [DR]: endpoint }),
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(true);
    expect(result.address).toBe(`127.0.0.1:${endpoint.port}`);
    expect(result.certificate).toMatchObject({
      subject: `CN=${MAIN}`,
      issuer: 'CN=drpilot drill CA',
      sans: [MAIN, DR],
    });
    expect(result.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(result.detail).toBe(
      `certificate CN=${MAIN} valid until ${result.certificate?.validTo}, SANs cover ${MAIN} ` +
        `(issuer CN=drpilot drill CA)`,
    );
    // The probe asked with SNI = the main name, not the endpoint's own name.
    expect(endpoint.serverNames).toEqual([MAIN]);
  });

  it('refuses a certificate whose SANs do not cover the main name', async () => {
    const wrong = await issueWrongSanCertificate(ca, [PRIMARY]);
    const resolver = await serveAsDr(wrong);
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(
      `certificate for ${PRIMARY} does not cover ${MAIN} (SANs: ${PRIMARY})`,
    );
    expect(result.certificate?.sans).toEqual([PRIMARY]);
  });

  it('refuses an expired certificate', async () => {
    const expiredAt = wholeSeconds(Date.now() - 60 * 60 * 1000);
    const expired = await issueExpiredCertificate(ca, [MAIN], { expiredAt });
    const resolver = await serveAsDr(expired);
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(`certificate expired ${iso(expiredAt)}`);
    expect(result.certificate?.validTo).toBe(iso(expiredAt));
  });

  it('refuses a certificate that is not valid yet', async () => {
    const validFrom = wholeSeconds(Date.now() + 60 * 60 * 1000);
    const early = await issueNotYetValidCertificate(ca, [MAIN], { validFrom });
    const resolver = await serveAsDr(early);
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(`certificate not valid before ${iso(validFrom)}`);
  });

  it('judges validity at the injected now', async () => {
    const resolver = await serveAsDr(good);
    const later = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000);
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
      now: later,
    });
    expect(result.ok).toBe(false);
    // The drill CA (valid one day) has expired by then too, and both are said.
    expect(result.detail).toBe(
      `certificate expired ${result.certificate?.validTo}; ` +
        `issuer certificate CN=drpilot drill CA expired ${iso(ca.notAfter)}`,
    );

    // And an expired certificate is accepted at a `now` inside its window: the signature check
    // still runs, only the clock is the injected one.
    // (A CA made two hours ago, so that it was valid then too.)
    const olderCa = await createDrillCa({ now: new Date(Date.now() - 2 * 60 * 60 * 1000) });
    const expiredAt = wholeSeconds(Date.now() - 60 * 60 * 1000);
    const expired = await issueExpiredCertificate(olderCa, [MAIN], { expiredAt });
    const pastResolver = await serveAsDr(expired);
    const inWindow = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: pastResolver,
      caBundle: olderCa.certPem,
      now: new Date(expiredAt.getTime() - 60 * 1000),
    });
    expect(inWindow).toMatchObject({ ok: true });

    // Without the bundle the same certificate is still refused as untrusted at that `now`.
    const untrusted = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: pastResolver,
      now: new Date(expiredAt.getTime() - 60 * 1000),
    });
    expect(untrusted).toMatchObject({
      ok: false,
      detail: 'untrusted certificate: unable to verify the first certificate',
    });
  });

  it('refuses an expired certificate from an untrusted CA on both counts', async () => {
    const rogue = await createDrillCa({ commonName: 'rogue CA' });
    const expiredAt = wholeSeconds(Date.now() - 60 * 60 * 1000);
    const expired = await issueExpiredCertificate(rogue, [MAIN], { expiredAt });
    const resolver = await serveAsDr({ ...expired, caPem: rogue.certPem });
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('untrusted certificate: ');
    expect(result.detail).toContain(`certificate expired ${iso(expiredAt)}`);
  });

  it('refuses a certificate signed by a CA that is not trusted', async () => {
    const untrusted = await issueUntrustedCertificate([MAIN]);
    const resolver = await serveAsDr(untrusted); // served with its CA as the chain
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver,
      caBundle: ca.certPem,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(
      'untrusted certificate: self-signed certificate in certificate chain',
    );
    expect(result.certificate?.issuer).toBe('CN=drpilot untrusted CA');

    const leafOnly = await serveAsDr({ certPem: untrusted.certPem, keyPem: untrusted.keyPem });
    const second = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: leafOnly,
      caBundle: ca.certPem,
    });
    expect(second.detail).toBe('untrusted certificate: unable to verify the first certificate');
  });

  it('refuses the valid drill certificate when the CA bundle is not given: system roots alone do not trust it', async () => {
    const resolver = await serveAsDr(good);
    const result = await probeTls({ hostname: DR, serverName: MAIN, resolver });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe('untrusted certificate: unable to verify the first certificate');

    const withChain = await serveAsDr({ ...good, caPem: ca.certPem });
    const chained = await probeTls({ hostname: DR, serverName: MAIN, resolver: withChain });
    expect(chained.detail).toBe(
      'untrusted certificate: self-signed certificate in certificate chain',
    );
  });

  it('adds the CA bundle to the system roots instead of replacing them', async () => {
    const other = await createDrillCa({ commonName: 'another CA' });
    const bundle = `${other.certPem}\n${ca.certPem}`;
    const trusted = trustedCertificates(bundle);
    expect(trusted).toBeDefined();
    for (const root of rootCertificates) expect(trusted).toContain(root);
    expect(trusted).toContain(bundle);
    expect(trustedCertificates()).toBeUndefined();
    expect(trustedCertificates('  ')).toBeUndefined();

    const resolver = await serveAsDr(good);
    const result = await probeTls({ hostname: DR, serverName: MAIN, resolver, caBundle: bundle });
    expect(result.ok).toBe(true);
  });

  it('reports a refused connection instead of throwing', async () => {
    const port = await closedPort();
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: localResolver({ [DR]: { host: '127.0.0.1', port } }),
      caBundle: ca.certPem,
    });
    expect(result).toEqual({
      ok: false,
      detail: `could not connect to 127.0.0.1:${port}: ECONNREFUSED`,
      address: `127.0.0.1:${port}`,
      certificate: null,
    });
  });

  it('reports a name the resolver does not know', async () => {
    const resolver = await serveAsDr(good);
    const result = await probeTls({ hostname: 'unknown.example.com', serverName: MAIN, resolver });
    expect(result).toEqual({
      ok: false,
      detail:
        'could not resolve unknown.example.com: ENOTFOUND ' +
        `(no local endpoint is mapped for unknown.example.com; known: ${DR})`,
      address: null,
      certificate: null,
    });
  });

  it('reports a resolver that throws or hangs', async () => {
    const throwing: Resolver = () => {
      throw new Error('boom');
    };
    expect(await probeTls({ hostname: DR, serverName: MAIN, resolver: throwing })).toMatchObject({
      ok: false,
      detail: `could not resolve ${DR}: boom`,
    });
    const hanging: Resolver = () => new Promise(() => undefined);
    const started = Date.now();
    expect(
      await probeTls({ hostname: DR, serverName: MAIN, resolver: hanging, timeoutMs: 100 }),
    ).toMatchObject({ ok: false, detail: `could not resolve ${DR}: timed out after 100 ms` });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out, bounded, on a server that accepts TCP but never completes the handshake', async () => {
    // Accepts TCP and never says a word.
    const silent = await startTcpServer(() => undefined);
    const started = Date.now();
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: localResolver({ [DR]: { host: '127.0.0.1', port: silent.port } }),
      caBundle: ca.certPem,
      timeoutMs: 300,
    });
    const elapsed = Date.now() - started;
    expect(result).toEqual({
      ok: false,
      detail: 'TLS handshake timed out after 300 ms',
      address: `127.0.0.1:${silent.port}`,
      certificate: null,
    });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('reports a server that does not speak TLS', async () => {
    const { port } = await startTcpServer((socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'),
    );
    const result = await probeTls({
      hostname: DR,
      serverName: MAIN,
      resolver: localResolver({ [DR]: { host: '127.0.0.1', port } }),
      timeoutMs: 2000,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(`TLS handshake with 127.0.0.1:${port} failed: wrong version number`);
  });
});

describe('local TLS endpoint', () => {
  it('answers GET /healthz with 200 ok over HTTPS trusted through the drill CA', async () => {
    const endpoint = await serve({ ...good, caPem: ca.certPem });
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = get(
          {
            host: endpoint.host,
            port: endpoint.port,
            path: '/healthz',
            servername: MAIN,
            ca: ca.certPem,
            agent: false,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
      },
    );
    expect(status).toBe(200);
    expect(body).toBe('ok');
  });

  it('localResolver matches names case-insensitively and ignores a trailing dot', async () => {
    const resolver = localResolver({ [DR]: { host: '127.0.0.1', port: 8443 } });
    await expect(resolver('DR.example.com.')).resolves.toEqual({ host: '127.0.0.1', port: 8443 });
    await expect(resolver('nope.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('dnsResolver', () => {
  it('resolves a name through node:dns to port 443', async () => {
    const resolved = await dnsResolver('localhost');
    expect(['127.0.0.1', '::1']).toContain(resolved.host);
    expect(resolved.port).toBe(443);
  });
});
