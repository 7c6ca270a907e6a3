/**
 * The DNS failover's TLS check: before the main name is pointed at a side, that side's endpoint,
 * asked with SNI = the main name, must present a certificate that is trusted, valid now and whose
 * SANs cover the main name. Route 53 health checks never validate certificates, so this does.
 *
 * Runs in the Lambda and in the CLI. Where to connect comes from an injectable resolver: DNS in
 * production, local TLS servers in the embedded drill and the tests.
 */
import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as tls from 'node:tls';

export interface ResolvedAddress {
  host: string;
  port: number;
}

/** Where to connect for an endpoint name. Rejects (ENOTFOUND-like) for names it cannot resolve. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress>;

export interface ProbedCertificate {
  /** e.g. `CN=main.example.com` (RDNs joined with `, `). */
  subject: string;
  issuer: string;
  /** DNS names bare (`main.example.com`); other kinds as Node prints them (`IP Address:…`). */
  sans: string[];
  /** ISO 8601, seconds precision, e.g. `2026-01-01T00:00:00Z`. */
  validFrom: string;
  validTo: string;
  /** SHA-256 fingerprint, colon-separated hex as Node prints it. */
  fingerprint256: string;
}

export interface TlsProbeResult {
  ok: boolean;
  /** One human sentence; on failure every problem found, joined with `; `. */
  detail: string;
  /** `host:port` connected to (`[v6]:port`), or null when the name did not resolve. */
  address: string | null;
  /** The leaf certificate presented, or null when none was received. */
  certificate: ProbedCertificate | null;
}

export interface TlsProbeOptions {
  /** The endpoint's own name, e.g. `dr.example.com`: what the resolver is asked about. */
  hostname: string;
  /** SNI and the name the certificate must cover: the MAIN name, e.g. `main.example.com`. */
  serverName: string;
  resolver: Resolver;
  /** Extra trusted CAs (PEM, one or more), trusted IN ADDITION to the system roots. */
  caBundle?: string;
  /** The time the certificate must be valid at (default: now). */
  now?: Date;
  /** Budget for name resolution, and again for connect + handshake (default 5000 ms). */
  timeoutMs?: number;
}

export const DEFAULT_TLS_TIMEOUT_MS = 5000;
export const HTTPS_PORT = 443;

/** Production resolver: the endpoint's name through the system resolver (node:dns), port 443. */
export const dnsResolver: Resolver = async (hostname) => {
  const { address } = await lookup(hostname);
  return { host: address, port: HTTPS_PORT };
};

/** Node 24 has `tls.getCACertificates('default')` (bundled + NODE_EXTRA_CA_CERTS + system). */
type TlsWithCaList = typeof tls & { getCACertificates?: (type?: string) => string[] };

/** The roots Node trusts when no `ca` is given. */
export function defaultRootCertificates(): string[] {
  const fromRuntime = (tls as TlsWithCaList).getCACertificates?.('default');
  return fromRuntime && fromRuntime.length > 0 ? [...fromRuntime] : [...tls.rootCertificates];
}

/**
 * The `ca` option for a probe: undefined (Node's defaults) without a bundle, otherwise the default
 * roots PLUS the bundle — Node's `ca` option replaces the default roots instead of adding to them.
 */
export function trustedCertificates(caBundle?: string): string[] | undefined {
  if (caBundle === undefined || caBundle.trim() === '') return undefined;
  return [...defaultRootCertificates(), caBundle];
}

/** Never throws: every failure is `ok: false` with a precise `detail`. */
export async function probeTls(options: TlsProbeOptions): Promise<TlsProbeResult> {
  try {
    return await probe(options);
  } catch (error) {
    return {
      ok: false,
      detail: `TLS probe of ${String(options?.hostname)} failed unexpectedly: ${errorText(error)}`,
      address: null,
      certificate: null,
    };
  }
}

async function probe(options: TlsProbeOptions): Promise<TlsProbeResult> {
  const { hostname, serverName } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
  const now = options.now ?? new Date();
  const fail = (
    detail: string,
    address: string | null = null,
    certificate: ProbedCertificate | null = null,
  ): TlsProbeResult => ({ ok: false, detail, address, certificate });

  const resolved = await withTimeout(
    Promise.resolve().then(() => options.resolver(hostname)),
    timeoutMs,
  );
  if (resolved.kind === 'timeout') {
    return fail(`could not resolve ${hostname}: timed out after ${timeoutMs} ms`);
  }
  if (resolved.kind === 'error') {
    return fail(`could not resolve ${hostname}: ${resolutionErrorText(resolved.error)}`);
  }
  const target = resolved.value as Partial<ResolvedAddress> | null | undefined;
  if (
    !target ||
    typeof target.host !== 'string' ||
    target.host === '' ||
    !Number.isInteger(target.port) ||
    (target.port as number) < 1 ||
    (target.port as number) > 65535
  ) {
    return fail(`resolver gave no usable address for ${hostname}: ${JSON.stringify(target)}`);
  }
  const host = target.host;
  const port = target.port as number;
  const address = formatAddress(host, port);

  const ca = trustedCertificates(options.caBundle);
  const outcome = await handshake({ host, port, serverName, ca, timeoutMs });
  switch (outcome.kind) {
    case 'timeout':
      return fail(
        outcome.tcpConnected
          ? `TLS handshake timed out after ${timeoutMs} ms`
          : `could not connect to ${address}: timed out after ${timeoutMs} ms`,
        address,
      );
    case 'error':
      return fail(
        outcome.tcpConnected
          ? `TLS handshake with ${address} failed: ${handshakeErrorText(outcome.error)}`
          : `could not connect to ${address}: ${connectErrorText(outcome.error)}`,
        address,
      );
    case 'closed':
      return fail(`TLS handshake with ${address} failed: connection closed by the server`, address);
    case 'secure':
      break;
  }

  const { chain, peer, authorizationCode } = outcome;
  const leaf = chain[0];
  if (!leaf || !peer) return fail(`${address} presented no certificate`, address);
  const certificate = describeCertificate(leaf);

  const problems: string[] = [];

  // 1. Trust. OpenSSL judges dates by the real clock; dates are judged at `now` below, so a date
  //    error alone sends the chain through our own signature check, without dates.
  if (authorizationCode !== null) {
    if (DATE_ERRORS.has(authorizationCode)) {
      const untrusted = verifyChainIgnoringDates(chain, ca ?? defaultRootCertificates());
      if (untrusted) problems.push(`untrusted certificate: ${untrusted}`);
    } else {
      problems.push(`untrusted certificate: ${verifyErrorText(authorizationCode)}`);
    }
  }

  // 2. Validity at `now`, the leaf and then the issuers that were presented or found.
  chain.forEach((cert, index) => {
    const what = index === 0 ? 'certificate' : `issuer certificate ${formatName(cert.subject)}`;
    const notBefore = parseCertDate(cert.validFrom);
    const notAfter = parseCertDate(cert.validTo);
    if (now.getTime() < notBefore.getTime()) {
      problems.push(`${what} not valid before ${isoSeconds(notBefore)}`);
    } else if (now.getTime() > notAfter.getTime()) {
      problems.push(`${what} expired ${isoSeconds(notAfter)}`);
    }
  });

  // 3. The SANs cover the main name.
  if (tls.checkServerIdentity(serverName, peer) !== undefined) {
    problems.push(
      `certificate for ${certificateName(peer, certificate)} does not cover ${serverName} ` +
        `(SANs: ${certificate.sans.length > 0 ? certificate.sans.join(', ') : 'none'})`,
    );
  }

  if (problems.length > 0) return fail(problems.join('; '), address, certificate);
  return {
    ok: true,
    detail:
      `certificate ${certificate.subject} valid until ${certificate.validTo}, ` +
      `SANs cover ${serverName} (issuer ${certificate.issuer})`,
    address,
    certificate,
  };
}

// ---------------------------------------------------------------------------------------------
// The connection

type HandshakeOutcome =
  | { kind: 'timeout'; tcpConnected: boolean }
  | { kind: 'error'; tcpConnected: boolean; error: unknown }
  | { kind: 'closed' }
  | {
      kind: 'secure';
      /** Leaf first, then issuers (as presented, plus the anchor Node found in the trust store). */
      chain: X509Certificate[];
      peer: tls.PeerCertificate | null;
      authorizationCode: string | null;
    };

function handshake(args: {
  host: string;
  port: number;
  serverName: string;
  ca: string[] | undefined;
  timeoutMs: number;
}): Promise<HandshakeOutcome> {
  return new Promise<HandshakeOutcome>((resolve) => {
    let tcpConnected = false;
    let settled = false;
    // rejectUnauthorized: false ONLY so that an untrusted certificate can still be reported;
    // trust is decided below from `authorized` / `authorizationError`, never skipped.
    const socket = tls.connect({
      host: args.host,
      port: args.port,
      ...(isIP(args.serverName) === 0 ? { servername: args.serverName } : {}),
      rejectUnauthorized: false,
      // The name is checked against `serverName` by the probe itself, so that
      // `authorizationError` is about the chain alone.
      checkServerIdentity: () => undefined,
      ...(args.ca ? { ca: args.ca } : {}),
    });
    const finish = (outcome: HandshakeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', tcpConnected }), args.timeoutMs);
    // Errors after the outcome (a reset while destroying) must not become unhandled.
    socket.on('error', (error) => finish({ kind: 'error', tcpConnected, error }));
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('close', () => finish({ kind: 'closed' }));
    socket.once('secureConnect', () => {
      try {
        const detailed = socket.getPeerCertificate(true);
        const peer = detailed && detailed.raw ? detailed : null;
        finish({
          kind: 'secure',
          chain: peer ? certificateChain(peer) : [],
          peer,
          authorizationCode: socket.authorized ? null : authorizationCode(socket),
        });
      } catch (error) {
        finish({ kind: 'error', tcpConnected: true, error });
      }
    });
  });
}

/** `authorizationError` is documented as an Error but Node sets the OpenSSL code string. */
function authorizationCode(socket: tls.TLSSocket): string {
  const raw = socket.authorizationError as unknown;
  if (typeof raw === 'string' && raw !== '') return raw;
  if (raw instanceof Error) return (raw as NodeJS.ErrnoException).code ?? raw.message;
  return 'UNKNOWN_VERIFY_ERROR';
}

function certificateChain(peer: tls.DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: tls.DetailedPeerCertificate | undefined = peer;
  while (current?.raw && chain.length < 16) {
    const cert = new X509Certificate(current.raw);
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(cert);
    current = current.issuerCertificate;
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------
// Trust without dates (only used when OpenSSL's sole complaint is a date)

const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Returns null when the chain leads to a trusted root by valid signatures, else the reason. */
function verifyChainIgnoringDates(chain: X509Certificate[], trustedPems: string[]): string | null {
  const trusted = parseTrusted(trustedPems);
  const isTrusted = (cert: X509Certificate) =>
    trusted.some((anchor) => anchor.fingerprint256 === cert.fingerprint256);
  const issuedBy = (cert: X509Certificate, issuer: X509Certificate) => {
    try {
      return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
      return false;
    }
  };
  const [leaf, ...presented] = chain;
  if (!leaf) return 'no certificate';
  let current = leaf;
  for (let depth = 0; depth < 16; depth += 1) {
    if (isTrusted(current)) return null;
    if (trusted.some((anchor) => issuedBy(current, anchor))) return null;
    const next = presented.find(
      (cert) => cert.fingerprint256 !== current.fingerprint256 && issuedBy(current, cert),
    );
    if (!next) {
      const selfSigned = issuedBy(current, current);
      if (depth === 0)
        return selfSigned ? 'self-signed certificate' : 'unable to verify the first certificate';
      return selfSigned
        ? 'self-signed certificate in certificate chain'
        : 'unable to get local issuer certificate';
    }
    current = next;
  }
  return 'certificate chain too long';
}

function parseTrusted(pems: string[]): X509Certificate[] {
  const parsed: X509Certificate[] = [];
  for (const bundle of pems) {
    for (const pem of bundle.match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? []) {
      try {
        parsed.push(new X509Certificate(pem));
      } catch {
        // A malformed entry in a bundle trusts nothing; the others still count.
      }
    }
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Wording

/** OpenSSL's wording for the verify errors Node reports by code. */
const VERIFY_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'unable to decode issuer public key',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  INVALID_CA: 'invalid CA certificate',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "format error in certificate's notBefore field",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "format error in certificate's notAfter field",
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  HOSTNAME_MISMATCH: 'hostname mismatch',
};

function verifyErrorText(code: string): string {
  return VERIFY_ERRORS[code] ?? code;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** `ENOTFOUND` for Node's own DNS errors; code and message for a resolver's own error. */
function resolutionErrorText(error: unknown): string {
  const code = errorCode(error);
  const message = errorText(error);
  if (!code) return message;
  return message.includes(code) ? code : `${code} (${message})`;
}

/** `ECONNREFUSED`, `EHOSTUNREACH`, …; the message only when there is no code. */
function connectErrorText(error: unknown): string {
  return errorCode(error) ?? errorText(error);
}

/** OpenSSL's reason (`wrong version number`) when there is one, else code and message. */
function handshakeErrorText(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string' && reason !== '') return reason;
  const code = errorCode(error);
  const message = errorText(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Node prints names one RDN a line; one line reads better in a detail. */
function formatName(name: string): string {
  return name
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(', ');
}

function parseCertDate(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`unreadable certificate date ${text}`);
  return date;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function splitSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(/,\s*/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (entry.startsWith('DNS:') ? entry.slice(4) : entry));
}

function describeCertificate(cert: X509Certificate): ProbedCertificate {
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    sans: splitSans(cert.subjectAltName),
    validFrom: isoSeconds(parseCertDate(cert.validFrom)),
    validTo: isoSeconds(parseCertDate(cert.validTo)),
    fingerprint256: cert.fingerprint256,
  };
}

/** What the certificate is "for": its CN, else its first SAN, else its subject. */
function certificateName(peer: tls.PeerCertificate, certificate: ProbedCertificate): string {
  const cn = (peer.subject as Record<string, string | string[] | undefined> | undefined)?.CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  if (first) return first;
  return certificate.sans[0] ?? (certificate.subject || 'an unnamed subject');
}

// ---------------------------------------------------------------------------------------------

type Timed<T> =
  { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<Timed<T>> {
  return new Promise<Timed<T>>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ kind: 'value', value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'error', error });
      },
    );
  });
}
