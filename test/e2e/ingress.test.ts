import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runEectl } from '../helpers/cli.js';
import { ingressImageBundle } from './helpers/ingress.js';
import { startSampler, type Sample } from './helpers/sampler.js';
import { useSandbox } from './helpers/sandbox.js';

/**
 * The ingress on one sandbox (1 manager, 2 workers, both workers proxies): HAProxy from Debian's package
 * as an image bundle, routes from labels, and a sampler that sees every failed request while backends
 * scale and roll, a route comes and goes, and a proxy node is drained.
 */
describe('eectl install: HTTP ingress by service labels', () => {
  const sandbox = useSandbox({ name: 'ingress', managers: 1, workers: 2 });
  const run = (script: string) => sandbox.exec('m1', script, { check: true, timeoutMs: 300_000 });
  const w = (ref: string) => sandbox.host(ref).address;
  let image = '';
  let bundleDir = '';
  /** The real docker CLI through the control plane (mutual TLS with a client bundle). */
  const docker = (args: string[], stdin?: string) =>
    execa('docker', args, {
      reject: false,
      ...(stdin === undefined ? {} : { input: stdin }),
      env: {
        DOCKER_CONFIG: join(bundleDir, 'docker-config'),
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${sandbox.host('m1').address}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bundleDir,
      },
    });

  /** curl through one proxy node with --resolve (the real curl, sandbox addresses only). */
  const curl = async (node: string, url: string, extra: string[] = []) => {
    const { hostname, port, protocol } = new URL(url);
    const p = port || (protocol === 'https:' ? '443' : '80');
    const r = await execa(
      'curl',
      [
        '-s',
        '--max-time',
        '5',
        '--resolve',
        `${hostname}:${p}:${node}`,
        '-w',
        '\n%{http_code}',
        ...extra,
        url,
      ],
      { reject: false },
    );
    const lines = r.stdout.split('\n');
    const status = lines.pop() ?? '';
    return { status, body: lines.join('\n').trim() };
  };

  /**
   * A service that answers its name on `port` (busybox httpd in the proxy image: no other image needed).
   * Every value (the hostile label's among them) is a positional parameter, never script text.
   */
  const createService = (name: string, labels: Record<string, string>, replicas = 2, detach = false) =>
    sandbox.exec(
      'm1',
      [
        'name=$1 replicas=$2 detach=$3 image=$4; shift 4',
        'docker service create --detach="$detach" --quiet --network eectl-ingress --name "$name" --replicas "$replicas" "$@" \\',
        `  "$image" sh -c 'mkdir -p /w/api && echo "$1" > /w/index.html && echo "$1" > /w/api/index.html && exec busybox httpd -f -p 8000 -h /w' sh "$name"`,
      ].join('\n'),
      {
        check: true,
        timeoutMs: 300_000,
        args: [
          name,
          String(replicas),
          String(detach),
          image,
          ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        ],
      },
    );

  /** What the watcher, the sync service and a proxy said: printed when a route does not come. */
  const diagnostics = async () => {
    const watcher = await sandbox.exec(
      'm1',
      'journalctl -u eectl-ingress-watcher -o cat --no-pager | tail -20',
    );
    const sync = await sandbox.exec(
      'm1',
      'for s in eectl-ingress-sync eectl-ingress; do echo "== $s"; docker service ps $s --no-trunc --format \'{{.Node}} {{.CurrentState}} {{.Error}}\' | head; done',
    );
    const proxy = await sandbox.exec(
      'w1',
      "for c in $(docker ps -a --format '{{.ID}} {{.Names}}' | awk '$2 ~ /^eectl-ingress/ {print $1}'); do echo \"== $c\"; docker logs -t $c 2>&1 | grep -v 'GET /' | tail -40; done; ls -la /run/eectl-ingress /run/eectl-ingress/certs; cat /run/eectl-ingress/crt-list.txt; ps -eo pid,etime,args | grep '[h]aproxy'",
    );
    return [watcher.stdout, sync.stdout, proxy.stdout].join('\n---\n');
  };

  /** Waits until `host` through `node` answers `body` (bounded). */
  const routed = async (node: string, url: string, body: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await curl(node, url);
      if (r.status === '200' && r.body.startsWith(body)) return Date.now();
      if (Date.now() > deadline)
        throw new Error(`${url} through ${node}: ${r.status} ${r.body.slice(0, 80)}\n${await diagnostics()}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  };

  beforeAll(async () => {
    const bundle = await ingressImageBundle();
    const doc = parseDocument(await readFile(sandbox.clusterFile, 'utf8'));
    doc.setIn(['spec', 'images', 'bundles'], [bundle.bundle]);
    doc.setIn(['spec', 'ingress'], { nodes: [w('w1'), w('w2')], image: bundle.image });
    await writeFile(sandbox.clusterFile, doc.toString());
    image = bundle.image;
  }, 600_000);

  it('installs a proxy on each ingress node, answering the 404 of an unknown host', async () => {
    const r = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(0);
    image = (await run(`docker image inspect --format '{{.Id}}' ${image}`)).stdout.trim();
    bundleDir = mkdtempSync(join(tmpdir(), 'eectl-ingress-bundle-'));
    const cc = await runEectl(['client-config', '-c', sandbox.clusterFile, '--out', bundleDir, '--json'], {
      env: { DOCKER_CONFIG: join(bundleDir, 'docker-config') },
    });
    expect(cc.code, cc.stderr).toBe(0);
    for (const node of [w('w1'), w('w2')]) {
      const r404 = await curl(node, 'http://unknown.example.org/');
      expect(r404.status).toBe('404');
      expect(r404.body).toContain('eectl ingress: no route');
    }
    const placed = await run(
      "docker service ps eectl-ingress --filter desired-state=running --format '{{.Node}}'",
    );
    expect(placed.stdout.split('\n').filter(Boolean).sort()).toEqual(['w1', 'w2']);
    expect((await run('systemctl is-active eectl-ingress-watcher')).stdout.trim()).toBe('active');
    // The watcher runs as its own user, with a key of its own, and no engine socket: its certificate
    // passes the plugin for the watcher's own requests only.
    const pid = (await run('systemctl show -p MainPID --value eectl-ingress-watcher')).stdout.trim();
    expect((await run(`stat -c %U /proc/${pid}`)).stdout.trim()).toBe('eectl-ingress-watcher');
    expect((await run('stat -c %U:%a /etc/eectl/ingress-watcher/key.pem')).stdout.trim()).toBe(
      'eectl-ingress-watcher:600',
    );
    const asWatcher = async (method: string, path: string) =>
      (
        await run(
          [
            "curl -sS -o /dev/null -w '%{http_code}' --cacert /etc/eectl/ingress-watcher/ca.pem",
            '--cert /etc/eectl/ingress-watcher/cert.pem --key /etc/eectl/ingress-watcher/key.pem',
            `-X ${method} -H 'content-type: application/json'`,
            method === 'POST' ? `-d '{"Name":"x","TaskTemplate":{"ContainerSpec":{"Image":"x"}}}'` : '',
            `'https://127.0.0.1:2376${path}'`,
          ].join(' '),
        )
      ).stdout.trim();
    expect(await asWatcher('GET', '/services')).toBe('200');
    expect(await asWatcher('GET', '/containers/json')).toBe('403');
    expect(await asWatcher('GET', '/configs')).toBe('403');
    expect(await asWatcher('POST', '/services/create')).toBe('403');
    expect(await asWatcher('POST', '/secrets/create')).toBe('403');
  });

  it('routes two host names and a path prefix through each proxy node, every time', async () => {
    const created = Date.now();
    await createService(
      'web1',
      { 'eectl.http.host': 'app1.example.org', 'eectl.http.port': '8000' },
      2,
      true,
    );
    const first = await routed(w('w1'), 'http://app1.example.org/', 'web1');
    console.log(
      `docker service create (2 replicas, detached) to the first 200 through the proxy: ${first - created} ms`,
    );
    await createService('web2', {
      'eectl.http.host': 'app2.example.org,www.app2.example.org',
      'eectl.http.port': '8000',
    });
    await createService('api', {
      'eectl.http.host': 'app1.example.org',
      'eectl.http.path': '/api',
      'eectl.http.port': '8000',
    });
    await routed(w('w2'), 'http://app1.example.org/api/', 'api');
    for (const node of [w('w1'), w('w2')]) {
      for (let i = 0; i < 10; i++) {
        expect((await curl(node, 'http://app1.example.org/')).body).toBe('web1');
        expect((await curl(node, 'http://app2.example.org/')).body).toBe('web2');
        expect((await curl(node, 'http://www.app2.example.org/')).body).toBe('web2');
        expect((await curl(node, 'http://app1.example.org/api/')).body).toBe('api');
        // A prefix is a path prefix, not a string prefix.
        expect((await curl(node, 'http://app1.example.org/apix')).body).not.toBe('api');
        expect((await curl(node, 'http://unknown.example.org/')).status).toBe('404');
      }
    }
  });

  it("refuses a second team's claim on a host name, and keeps the first route", async () => {
    await createService(
      'intruder',
      {
        'eectl.http.host': 'app1.example.org',
        'eectl.http.port': '8000',
        'eectl.collection': '/Shared/other-team',
      },
      1,
    );
    // Hostile label values never reach the configuration: the service is refused with the reason.
    await createService(
      'hostile',
      { 'eectl.http.host': 'x.example.org\nbackend evil', 'eectl.http.port': '8000' },
      1,
    );
    await new Promise((r) => setTimeout(r, 4000));
    for (const node of [w('w1'), w('w2')])
      expect((await curl(node, 'http://app1.example.org/')).body).toBe('web1');
    expect((await curl(w('w1'), 'http://x.example.org/')).status).toBe('404');
    const log = (await run('journalctl -u eectl-ingress-watcher --no-pager -o cat')).stdout;
    expect(log).toMatch(
      /"event":"route-refused","service":"intruder".*claimed by service web1 of collection \/Shared/,
    );
    expect(log).toMatch(/"event":"route-refused","service":"hostile".*is not a host name/);
    const cfg = (await sandbox.exec('w1', 'cat /run/eectl-ingress/haproxy.cfg', { check: true })).stdout;
    expect(cfg).not.toContain('evil');
    expect(cfg).not.toContain('intruder');
    await run('docker service rm intruder hostile');
  });

  it('drops no request while a backend scales 2→5→1, rolls, a route comes and goes, and a proxy node drains', async () => {
    const nodes = [w('w1'), w('w2')];
    const sampler = startSampler({
      nodes,
      port: 80,
      host: 'app1.example.org',
      expect: 'web1',
      maxRequests: 200_000,
      maxMs: 240_000,
    });
    const windows: Record<string, [number, number]> = {};
    const mark = async (name: string, step: () => Promise<unknown>) => {
      const start = Date.now();
      await step();
      await new Promise((r) => setTimeout(r, 2000));
      windows[name] = [start, Date.now()];
    };
    await new Promise((r) => setTimeout(r, 2000));
    await mark('scale 5', () => run('docker service scale --detach=false web1=5'));
    await mark('scale 1', () => run('docker service scale --detach=false web1=1'));
    await run('docker service scale --detach=false web1=2');
    await mark('rolling update', () => run('docker service update --detach=false --force web1'));
    await mark('route added', async () => {
      await createService('web3', { 'eectl.http.host': 'app3.example.org', 'eectl.http.port': '8000' }, 1);
      await routed(w('w1'), 'http://app3.example.org/', 'web3');
    });
    await mark('route removed', async () => {
      await run('docker service rm web3');
      const deadline = Date.now() + 30_000;
      while ((await curl(w('w1'), 'http://app3.example.org/')).status !== '404') {
        if (Date.now() > deadline) throw new Error('app3 is still routed 30 s after its service was removed');
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    const w2Node = (await run("docker node ls --format '{{.Hostname}} {{.ID}}'")).stdout
      .split('\n')
      .find((l) => l.startsWith('w2 '))!
      .split(' ')[1]!;
    const drainStart = Date.now();
    await run(`docker node update --availability drain ${w2Node}`);
    const drainDeadline = Date.now() + 60_000;
    while ((await curl(w('w2'), 'http://app1.example.org/')).status === '200' && Date.now() < drainDeadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    await run(`docker node update --availability active ${w2Node}`);
    await routed(w('w2'), 'http://app1.example.org/', 'web1');
    const drainEnd = Date.now();
    const samples = await sampler.stop();

    const inDrain = (s: Sample) => s.node === w('w2') && s.at >= drainStart && s.at <= drainEnd;
    const failures = samples.filter((s) => !s.ok && !inDrain(s));
    const through = (node: string) => samples.filter((s) => s.node === node && s.ok).length;
    console.log(
      `sampler: ${samples.length} requests, ${failures.length} failed outside w2's drain window, ` +
        `${samples.filter((s) => !s.ok && inDrain(s)).length} failed through w2 while drained; ` +
        `ok through w1 ${through(w('w1'))}, w2 ${through(w('w2'))}; windows ${JSON.stringify(windows)}`,
    );
    expect(failures.slice(0, 5)).toEqual([]);
    // The sampler saw each step: requests were answered through both nodes throughout.
    for (const [name, [start, end]] of Object.entries(windows)) {
      const during = samples.filter((s) => s.at >= start && s.at <= end);
      expect(during.length, `requests during ${name}`).toBeGreaterThan(20);
    }
    const w1DuringDrain = samples.filter((s) => s.node === w('w1') && s.at >= drainStart && s.at <= drainEnd);
    expect(w1DuringDrain.length).toBeGreaterThan(20);
    expect(w1DuringDrain.every((s) => s.ok)).toBe(true);
  });

  it('terminates TLS with a certificate from a test CA in swarm secrets (SNI), and redirects plain HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eectl-ingress-tls-'));
    const sh = (args: string[]) => execa('openssl', args, { cwd: dir });
    await sh([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=eectl e2e ingress CA',
      '-days',
      '1',
    ]);
    await sh([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      '/CN=tls.example.org',
    ]);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:tls.example.org\n');
    await sh([
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'tls.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    ]);
    // The key reaches the swarm through the API on stdin, never a command line.
    for (const [name, file] of [
      ['tls-cert', 'tls.pem'],
      ['tls-key', 'tls.key'],
    ] as const) {
      const made = await docker(['secret', 'create', name, '-'], readFileSync(join(dir, file), 'utf8'));
      expect(made.exitCode, made.stderr).toBe(0);
    }
    await createService(
      'websecure',
      {
        'eectl.http.host': 'tls.example.org',
        'eectl.http.port': '8000',
        'eectl.http.tls': 'tls-cert,tls-key',
        'eectl.http.redirect-https': 'true',
      },
      1,
    );
    const ca = ['--cacert', join(dir, 'ca.pem')];
    for (const node of [w('w1'), w('w2')]) {
      const deadline = Date.now() + 60_000;
      let r = await curl(node, 'https://tls.example.org/', ca);
      while (r.body !== 'websecure' && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 500));
        r = await curl(node, 'https://tls.example.org/', ca);
      }
      if (r.status !== '200') console.log(await diagnostics());
      expect(r).toEqual({ status: '200', body: 'websecure' });
      const plain = await execa('curl', [
        '-s',
        '--max-time',
        '5',
        '--resolve',
        `tls.example.org:80:${node}`,
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{redirect_url}',
        'http://tls.example.org/x',
      ]);
      expect(plain.stdout).toBe('301 https://tls.example.org/x');
    }
    // Not by an unknown name: the certificate's name is checked (SNI picks it, curl verifies it).
    const other = await execa(
      'curl',
      [
        '-s',
        '--max-time',
        '5',
        ...ca,
        '--resolve',
        `other.example.org:443:${w('w1')}`,
        'https://other.example.org/',
      ],
      { reject: false },
    );
    expect(other.exitCode).not.toBe(0);
  });

  it('routes a Compose v3 stack written for UCP (com.docker.lb.* labels), deployed with docker stack deploy through the control plane', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eectl-ingress-ucp-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(
      file,
      [
        'version: "3.7"',
        'services:',
        '  web:',
        `    image: ${image}`,
        `    command: ["sh", "-c", "mkdir -p /w && echo ucp-web > /w/index.html && exec busybox httpd -f -p 8080 -h /w"]`,
        '    networks: [eectl-ingress]',
        '    deploy:',
        '      replicas: 2',
        '      labels:',
        '        com.docker.lb.hosts: ucp.example.org',
        '        com.docker.lb.port: "8080"',
        '        com.docker.lb.network: eectl-ingress',
        'networks:',
        '  eectl-ingress:',
        '    external: true',
        '',
      ].join('\n'),
    );
    const deployed = await docker(['stack', 'deploy', '--resolve-image', 'never', '-c', file, 'ucp']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    for (const node of [w('w1'), w('w2')]) await routed(node, 'http://ucp.example.org/', 'ucp-web');
    const ls = await runEectl(['ingress', 'ls', '-c', sandbox.clusterFile, '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const listing = ls.json?.result as {
      routes: { host: string; path: string; service: string; source: string; notes: string[] }[];
      refused: unknown[];
    };
    expect(listing.routes.find((r) => r.host === 'ucp.example.org')).toMatchObject({
      service: 'ucp_web',
      source: 'interlock',
      notes: ['com.docker.lb.network is ignored: the proxies use spec.ingress.network'],
    });
    expect(listing.routes.find((r) => r.host === 'app1.example.org' && r.path === '/')).toMatchObject({
      service: 'web1',
    });
  });

  it('changes nothing on a second install', async () => {
    const r = await runEectl(['install', '-c', sandbox.clusterFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const changes = (r.json?.result as { changes: { description: string }[] }).changes;
    expect(changes.map((c) => c.description)).toEqual([]);
  });
});
