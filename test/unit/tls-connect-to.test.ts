import { describe, expect, it } from 'vitest';
import { addConnectTo, ConnectToError, resolverWith } from '../../lambdas/adapters/tls/connect-to';

describe('--connect-to NAME=ADDRESS:PORT', () => {
  it('maps names case- and trailing-dot-insensitively, IPv6 in brackets, and keeps earlier mappings', () => {
    const first = addConnectTo('DR.example.com.=127.0.0.1:8443');
    const both = addConnectTo('primary.example.com=[::1]:9443', first);
    expect(both).toEqual({
      'dr.example.com': { host: '127.0.0.1', port: 8443 },
      'primary.example.com': { host: '::1', port: 9443 },
    });
    expect(first).toEqual({ 'dr.example.com': { host: '127.0.0.1', port: 8443 } });
  });

  it.each([
    ['dr.example.com', /expects NAME=ADDRESS:PORT/],
    ['dr.example.com=10.0.0.1', /expects NAME=ADDRESS:PORT/],
    ['dr.example.com=10.0.0.1:0', /port 0 is outside 1–65535/],
    ['dr.example.com=10.0.0.1:65536', /port 65536 is outside/],
    ['bad_name!=10.0.0.1:443', /"bad_name!" is not a host name/],
    ['dr.example.com=bad/addr:443', /neither an IP address nor a host name/],
  ])('refuses %s, naming what is wrong', (value, message) => {
    expect(() => addConnectTo(value)).toThrow(ConnectToError);
    expect(() => addConnectTo(value)).toThrow(message);
  });

  it('sends mapped names to their address and every other name to the system resolver', async () => {
    const resolve = resolverWith(addConnectTo('dr.example.com=127.0.0.1:8443'));
    expect(await resolve('DR.example.com')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(await resolve('localhost')).toMatchObject({ port: 443 });
    await expect(resolve('no-such-name.invalid')).rejects.toThrow();
  });
});
