import { isIP } from 'node:net';
import { dnsResolver, type ResolvedAddress, type Resolver } from './tls-probe';

const HOSTNAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

export type ConnectTo = Record<string, ResolvedAddress>;

export class ConnectToError extends Error {
  override readonly name = 'ConnectToError';
}

/**
 * `--connect-to NAME=ADDRESS:PORT` (repeatable, as curl's --connect-to): where the TLS check
 * connects for an endpoint name, when the operator's machine cannot resolve or reach it directly
 * (split-horizon DNS, a port-forward). Only the address changes: SNI stays the main name and the
 * certificate must still be trusted and cover it, so an override cannot make a bad side pass.
 */
export function addConnectTo(value: string, previous: ConnectTo = {}): ConnectTo {
  const match = /^([^=]+)=(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value.trim());
  const usage = `--connect-to expects NAME=ADDRESS:PORT (e.g. dr.example.com=127.0.0.1:8443), got "${value}"`;
  if (!match) throw new ConnectToError(usage);
  const [, name, rawAddress, rawPort] = match as unknown as [string, string, string, string];
  const address = rawAddress.replace(/^\[(.*)\]$/, '$1');
  const port = Number(rawPort);
  if (!HOSTNAME.test(name)) throw new ConnectToError(`${usage}: "${name}" is not a host name`);
  if (!isIP(address) && !HOSTNAME.test(address)) {
    throw new ConnectToError(`${usage}: "${address}" is neither an IP address nor a host name`);
  }
  if (port < 1 || port > 65535) {
    throw new ConnectToError(`${usage}: port ${port} is outside 1–65535`);
  }
  return { ...previous, [normalise(name)]: { host: address, port } };
}

/** The production resolver, except for the names `--connect-to` sends elsewhere. */
export function resolverWith(overrides: ConnectTo): Resolver {
  return async (hostname) => {
    const address = overrides[normalise(hostname)];
    return address ? { ...address } : dnsResolver(hostname);
  };
}
