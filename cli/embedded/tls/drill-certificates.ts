/**
 * Certificates for the DNS failover drill: a throw-away drill CA and leaf certificates it signs,
 * plus the bad certificates the TLS check must refuse (wrong SAN, expired, not yet valid, signed by
 * a CA nobody trusts). Everything is ECDSA P-256 made with Node's WebCrypto; nothing touches disk.
 */
// tsyringe, a dependency of @peculiar/x509, refuses to load without the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(globalThis.crypto as unknown as Crypto);

type Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** CA and default leaves start a little in the past, so a slow clock elsewhere still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface DrillCa {
  /** Distinguished name, e.g. `CN=drpilot drill CA`. */
  name: string;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** The signing key pair; only this module needs it. */
  keys: CryptoKeyPair;
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names for the subjectAltName extension; IPv4/IPv6 literals become IP SANs. */
  sans: string[];
  notBefore: Date;
  notAfter: Date;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/** A certificate with the PEM of the (untrusted) CA that signed it, to serve as a chain. */
export interface UntrustedCertificate extends IssuedCertificate {
  caPem: string;
}

const webCrypto = () => globalThis.crypto;

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webCrypto().subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = await webCrypto().subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** Escapes a value for an RFC 4514 name string. */
const rdnValue = (value: string) => value.replace(/([,+"\\<>;=])/g, '\\$1');

const isIpLiteral = (name: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');

/**
 * Creates a self-signed drill CA (ECDSA P-256), valid for one day from (a few minutes before)
 * `now`.
 */
export async function createDrillCa(
  options: { commonName?: string; now?: Date; validityMs?: number } = {},
): Promise<DrillCa> {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + (options.validityMs ?? DAY_MS));
  const name = `CN=${rdnValue(options.commonName ?? 'drpilot drill CA')}`;
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    name,
    certPem: certificate.toString('pem'),
    keyPem: await privateKeyPem(keys),
    notBefore,
    notAfter,
    keys,
  };
}

/** Issues a TLS server certificate signed by `ca`. Validity is exactly what is asked. */
export async function issueCertificate(
  ca: DrillCa,
  request: CertificateRequest,
): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${rdnValue(request.commonName)}`,
    issuer: ca.name,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        request.sans.map((san) => ({ type: isIpLiteral(san) ? 'ip' : 'dns', value: san })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys) };
}

/** A validity window around `now` that lies inside the drill CA's own window. */
export function currentValidity(
  ca: DrillCa,
  now = new Date(),
): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.max(ca.notBefore.getTime(), now.getTime() - BACKDATE_MS));
  return { notBefore, notAfter: ca.notAfter };
}

/** A good certificate: signed by the drill CA, valid now, SANs as given (CN = first SAN). */
export function issueValidCertificate(
  ca: DrillCa,
  sans: string[],
  now = new Date(),
): Promise<IssuedCertificate> {
  return issueCertificate(ca, {
    commonName: sans[0] ?? 'drill',
    sans,
    ...currentValidity(ca, now),
  });
}

/**
 * Bad: valid and trusted, but for other names only — e.g. `primary.example.com` when the main
 * name is `main.example.com`.
 */
export function issueWrongSanCertificate(
  ca: DrillCa,
  sans: string[],
  now = new Date(),
): Promise<IssuedCertificate> {
  return issueValidCertificate(ca, sans, now);
}

/** Bad: trusted and covering the names, but expired `expiredAt` (default: one hour before now). */
export function issueExpiredCertificate(
  ca: DrillCa,
  sans: string[],
  options: { now?: Date; expiredAt?: Date } = {},
): Promise<IssuedCertificate> {
  const now = options.now ?? new Date();
  const notAfter = options.expiredAt ?? new Date(now.getTime() - 60 * 60 * 1000);
  return issueCertificate(ca, {
    commonName: sans[0] ?? 'drill',
    sans,
    notBefore: new Date(notAfter.getTime() - DAY_MS),
    notAfter,
  });
}

/** Bad: trusted and covering the names, but valid only from `validFrom` (default: now + 1 hour). */
export function issueNotYetValidCertificate(
  ca: DrillCa,
  sans: string[],
  options: { now?: Date; validFrom?: Date } = {},
): Promise<IssuedCertificate> {
  const now = options.now ?? new Date();
  const notBefore = options.validFrom ?? new Date(now.getTime() + 60 * 60 * 1000);
  return issueCertificate(ca, {
    commonName: sans[0] ?? 'drill',
    sans,
    notBefore,
    notAfter: new Date(notBefore.getTime() + DAY_MS),
  });
}

/**
 * Bad: valid now and covering the names, but signed by a fresh CA that nobody was told to trust.
 * Serve it with `caPem` as the chain to get "self-signed certificate in certificate chain".
 */
export async function issueUntrustedCertificate(
  sans: string[],
  now = new Date(),
): Promise<UntrustedCertificate> {
  const rogue = await createDrillCa({ commonName: 'drpilot untrusted CA', now });
  const issued = await issueValidCertificate(rogue, sans, now);
  return { ...issued, caPem: rogue.certPem };
}
