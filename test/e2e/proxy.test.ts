import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { MIRROR_PORT } from '../../src/lib/sandbox/mirror.js';
import { runEectl } from '../helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

/**
 * spec.proxy on hosts that reach the outside (the sandbox's package mirror, and a registry on this
 * machine) only through an HTTP proxy: the direct path is cut by iptables in each host, so apt and the
 * engine's pulls succeed only through the proxy, which counts what it forwards (and, for the urlEnv case,
 * requires a login).
 */

/** What the proxy forwarded: the client's address, the target host:port, whether it carried the login. */
interface Forwarded {
  from: string;
  target: string;
  authorized: boolean;
}

/** A forward proxy (absolute-form GET and CONNECT), in a few lines, that counts and may require a login. */
function startProxy(
  host: string,
): Promise<{ server: Server; seen: Forwarded[]; requireLogin: (basic?: string) => void }> {
  const seen: Forwarded[] = [];
  let expected: string | undefined;
  const allowed = (req: IncomingMessage, target: string): boolean => {
    const authorized = expected !== undefined && req.headers['proxy-authorization'] === `Basic ${expected}`;
    seen.push({ from: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', target, authorized });
    return expected === undefined || authorized;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '');
    if (!allowed(req, url.host)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="e2e"' }).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, socket, head: Buffer) => {
    const target = req.url ?? '';
    if (!allowed(req, target)) {
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="e2e"\r\n\r\n',
      );
      return;
    }
    const [h, p] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ];
    const upstream = connect(p, h, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, host, () => resolve({ server, seen, requireLogin: (basic) => void (expected = basic) })),
  );
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A one-file image, served by a registry of a few lines (plain HTTP, the engine told it is insecure). */
async function startRegistry(host: string): Promise<Server> {
  const tar = pack();
  tar.entry({ name: 'hello.txt' }, 'pulled through the proxy\n');
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  const layer = Buffer.concat(chunks);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: sha256(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
          size: layer.length,
          digest: sha256(layer),
        },
      ],
    }),
  );
  const blobs = new Map([
    [sha256(config), config],
    [sha256(layer), layer],
  ]);
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (path === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    if (/^\/v2\/e2e\/proxied\/manifests\/[\w.:-]+$/.test(path)) {
      res.writeHead(200, {
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        'Docker-Content-Digest': sha256(manifest),
        'Content-Length': manifest.length,
      });
      return void res.end(req.method === 'HEAD' ? undefined : manifest);
    }
    const blob = blobs.get(path.replace(/^\/v2\/e2e\/proxied\/blobs\//, ''));
    if (blob) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
      return void res.end(req.method === 'HEAD' ? undefined : blob);
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

/** Every file under `dir`, read whole. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')),
  );
}

describe('spec.proxy: apt and the engine reach the outside only through the proxy', () => {
  const sandbox = useSandbox({ name: 'proxy', managers: 1, workers: 1 });
  const run = (ref: string, script: string) => sandbox.exec(ref, script, { timeoutMs: 300_000 });
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let registry: Server;
  let gateway = '';
  let registryAddress = '';
  let proxyUrl = '';
  const password = `Pr0xy-${randomBytes(9)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')}`;
  const user = 'svc-eectl';

  /** The sandbox's cluster file with `proxy` (or none) and the registry on this machine trusted over HTTP. */
  const clusterFile = async (name: string, proxySpec?: Record<string, unknown>): Promise<string> => {
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'engine', 'daemon'], { 'insecure-registries': [registryAddress] });
    if (proxySpec) doc.setIn(['spec', 'proxy'], proxySpec);
    const file = join(dirname(sandbox.clusterFile), name);
    await writeFile(file, doc.toString());
    return file;
  };
  const fromHost = (host: string, port: number) =>
    proxy.seen.filter((s) => s.from === sandbox.host(host).address && s.target === `${gateway}:${port}`);
  const pull = (host: string, tag: string) =>
    sandbox.exec(host, 'timeout 120 docker pull -q "$1"', {
      args: [`${registryAddress}/e2e/proxied:${tag}`],
      timeoutMs: 180_000,
    });

  beforeAll(async () => {
    gateway = sandbox.description.network.gateway;
    proxy = await startProxy(gateway);
    registry = await startRegistry(gateway);
    const registryPort = (registry.address() as AddressInfo).port;
    registryAddress = `${gateway}:${registryPort}`;
    proxyUrl = `http://${gateway}:${(proxy.server.address() as AddressInfo).port}`;
    // The direct path to the outside is cut on every host; the proxy's port stays open.
    for (const host of sandbox.hosts) {
      const cut = await sandbox.exec(
        host,
        'iptables -I OUTPUT 1 -d "$1" -p tcp -m multiport --dports "$2" -j REJECT --reject-with tcp-reset',
        { args: [gateway, `${MIRROR_PORT},${registryPort}`], check: true },
      );
      expect(cut.code).toBe(0);
    }
  });

  afterAll(async () => {
    proxy?.server.close();
    registry?.close();
  });

  it('installs through the proxy: apt and the first pull go through it, the engine started once with it', async () => {
    const direct = await run(
      'w1',
      `curl -s -m 5 -o /dev/null ${sandbox.description.mirrorUrl}/dists/bookworm/Release`,
    );
    expect(direct.code, 'the direct path to the mirror is cut').not.toBe(0);

    const file = await clusterFile('proxy.yaml', { http: proxyUrl });
    const installed = await runEectl(['install', '-c', file, '--json']);
    expect(installed.code, installed.stderr).toBe(0);
    for (const host of ['m1', 'w1']) {
      expect(fromHost(host, MIRROR_PORT).length, `${host}'s apt through the proxy`).toBeGreaterThan(0);
      const unit = await run(
        host,
        'systemctl show docker -p Environment --value; journalctl -u docker -o cat | grep -c "^Starting "',
      );
      expect(unit.stdout).toContain(`HTTP_PROXY=${proxyUrl}`);
      expect(unit.stdout).toMatch(/NO_PROXY=localhost,127\.0\.0\.1,::1,10\./);
      // The drop-in was there before the package started the engine: one start, no restart.
      expect(unit.stdout.trim().split('\n').at(-1), `${host}: docker started once`).toBe('1');
      const apt = await run(host, 'cat /etc/apt/apt.conf.d/90eectl-proxy');
      expect(apt.stdout).toContain(`Acquire::http::Proxy "${proxyUrl}/";`);
    }
    const pulled = await pull('w1', '1');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(fromHost('w1', (registry.address() as AddressInfo).port).length).toBeGreaterThan(0);

    const again = await runEectl(['install', '-c', file, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json?.result as { changes: unknown[] }).changes).toEqual([]);
  });

  it('a proxy login from urlEnv rolls onto the running cluster and is in no argv, file or log it should not be', async () => {
    const login = Buffer.from(`${user}:${password}`).toString('base64');
    proxy.requireLogin(login);
    const denied = await pull('w1', '2');
    expect(denied.code, 'the proxy now wants a login').not.toBe(0);
    // Every process's argv on both hosts, five times a second, while the run lasts.
    for (const host of ['m1', 'w1'])
      await run(
        host,
        "nohup setsid sh -c 'while :; do ps -eo args >> /root/argv.log; sleep 0.2; done' >/dev/null 2>&1 & echo $! > /root/argv.pid",
      );
    const file = await clusterFile('proxy-login.yaml', { urlEnv: 'E2E_PROXY_URL' });
    const withLogin = `http://${user}:${password}@${proxyUrl.slice('http://'.length)}`;
    const rolled = await runEectl(['install', '-c', file, '--json'], { env: { E2E_PROXY_URL: withLogin } });
    expect(rolled.code, rolled.stderr).toBe(0);
    const changes = JSON.stringify((rolled.json?.result as { changes: unknown[] }).changes);
    // In each host's turn: the drop-in, then daemon-reload, then the one restart.
    for (const host of ['m1', 'w1']) {
      const turn = (rolled.json?.result as { changes: { host: string; description: string }[] }).changes
        .filter((c) => c.host === sandbox.host(host).address)
        .map((c) => c.description);
      const at = (what: string) => turn.findIndex((d) => d.startsWith(what));
      expect(
        at('write /etc/systemd/system/docker.service.d/eectl-proxy.conf'),
        changes,
      ).toBeGreaterThanOrEqual(0);
      expect(at('write /etc/systemd/system/docker.service.d/eectl-proxy.conf')).toBeLessThan(
        at('reload systemd unit files'),
      );
      expect(at('reload systemd unit files')).toBeLessThan(at('restart docker'));
    }

    const allowedBefore = proxy.seen.filter((s) => s.authorized).length;
    for (const host of ['m1', 'w1']) {
      const env = await run(
        host,
        'stat -c "%a %U" /etc/eectl/proxy/engine.env /etc/apt/auth.conf.d/eectl-proxy.conf',
      );
      expect(env.stdout.trim().split('\n')).toEqual(['600 root', '600 root']);
      const update = await run(
        host,
        'apt-get update -o Dir::Etc::sourceparts=- -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/eectl-engine.list 2>&1',
      );
      expect(update.code, update.stdout).toBe(0);
      const shown = await run(
        host,
        'systemctl show docker -p Environment -p EnvironmentFiles; cat /etc/systemd/system/docker.service.d/eectl-proxy.conf /etc/apt/apt.conf.d/90eectl-proxy',
      );
      expect(shown.stdout).toContain('/etc/eectl/proxy/engine.env');
      expect(shown.stdout).not.toContain(password);
    }
    const pulled = await pull('w1', '2');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(proxy.seen.filter((s) => s.authorized).length).toBeGreaterThan(allowedBefore);

    const forms = [
      password,
      Buffer.from(password).toString('base64'),
      login,
      Buffer.from(password).toString('hex'),
    ];
    for (const host of ['m1', 'w1']) {
      const argv = await run(host, 'kill "$(cat /root/argv.pid)"; cat /root/argv.log');
      expect(argv.stdout.split('\n').length, `${host}: argv sampled`).toBeGreaterThan(20);
      for (const form of forms) expect(argv.stdout, `${host}: argv`).not.toContain(form);
    }
    const logs = (await allFiles(process.env.EECTL_HOME!)).join('\n') + rolled.stdout + rolled.stderr;
    expect(logs.length).toBeGreaterThan(1000);
    for (const form of forms) expect(logs).not.toContain(form);
  });

  it('removing spec.proxy takes the drop-in and apt file away through the rolling path: the outside is out of reach again', async () => {
    const file = await clusterFile('no-proxy.yaml');
    const removed = await runEectl(['install', '-c', file, '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    const changes = JSON.stringify((removed.json?.result as { changes: unknown[] }).changes);
    expect(changes).toContain('remove /etc/systemd/system/docker.service.d/eectl-proxy.conf');
    expect(changes).toContain('restart docker');
    const seenBefore = proxy.seen.length;
    for (const host of ['m1', 'w1']) {
      const left = await run(
        host,
        'ls /etc/systemd/system/docker.service.d/eectl-proxy.conf /etc/apt/apt.conf.d/90eectl-proxy /etc/eectl/proxy/engine.env 2>/dev/null; systemctl show docker -p Environment --value',
      );
      expect(left.stdout.trim()).toBe('');
    }
    const pulled = await pull('w1', '3');
    expect(pulled.code, 'no pull without the proxy').not.toBe(0);
    const update = await run(
      'w1',
      'apt-get update -o Dir::Etc::sourceparts=- -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/eectl-engine.list 2>&1',
    );
    expect(update.stdout).toMatch(/Failed to fetch|Could not connect|Connection refused/);
    expect(proxy.seen.length).toBe(seenBefore);
  });
});
