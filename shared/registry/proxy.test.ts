import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../log.ts';
import { parseReference } from '../reference/index.ts';
import { startFakeRegistry } from '../../test/helpers/fake-registry.ts';
import { randomImage } from '../../test/helpers/random-image.ts';
import { validateImage } from '../image/index.ts';
import { createRegistryClient } from './client.ts';
import { defaultRegistryOptions } from './options.ts';
import { proxiesFor } from './transport.ts';

/** A CONNECT proxy on loopback that records the targets it tunnels to. */
async function connectProxy(): Promise<{ url: string; targets: string[] }> {
  const targets: string[] = [];
  const server = createServer();
  server.on('connect', (req, socket, head) => {
    targets.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
}

describe('HTTP(S)_PROXY', () => {
  it('bypasses loopback hosts unless asked, honours NO_PROXY, and reads either case', () => {
    expect(proxiesFor('reg.example', { env: {} })).toBeUndefined();
    expect(proxiesFor('reg.example', { env: { https_proxy: 'http://p:3128' } })).toEqual({ httpProxy: '', httpsProxy: 'http://p:3128', noProxy: '' });
    expect(proxiesFor('127.0.0.1:5000', { env: { HTTP_PROXY: 'http://p:3128' } })).toBeUndefined();
    expect(proxiesFor('localhost:5000', { env: { HTTP_PROXY: 'http://p:3128' }, proxyLoopback: true })?.httpsProxy).toBe('http://p:3128');
  });

  it('tunnels registry traffic through the proxy, except for NO_PROXY hosts', async () => {
    const reg = await startFakeRegistry();
    onTestFinished(() => reg.close());
    const proxy = await connectProxy();
    const client = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: { HTTP_PROXY: proxy.url }, proxyLoopback: true });
    onTestFinished(() => client.close());
    const img = await randomImage({ layers: 2 });
    await client.push(img, parseReference(`${reg.host}/via/proxy:1`));
    await validateImage(await client.image(parseReference(`${reg.host}/via/proxy:1`), { platform: { os: 'linux', architecture: 'amd64' } }));
    expect(proxy.targets.length).toBeGreaterThan(0);
    expect(new Set(proxy.targets)).toEqual(new Set([reg.host]));
    const direct = createRegistryClient({ options: defaultRegistryOptions, logger: silentLogger, env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, proxyLoopback: true });
    onTestFinished(() => direct.close());
    const before = proxy.targets.length;
    await direct.manifest(parseReference(`${reg.host}/via/proxy:1`));
    expect(proxy.targets.length).toBe(before);
  });
});
