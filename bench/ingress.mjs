/**
 * `npm run bench -- --ingress`: HTTP through the ingress (HAProxy on two workers of a 1 manager + 2 worker
 * sandbox) against the same service's tasks reached directly, in the same run: requests per second and
 * p50/p99 latency, each request on a new connection, bounded in count and time, to sandbox addresses only.
 * The routing mesh is tried too; it needs the ip_vs kernel module, and where it does not answer the result
 * says so instead of a number. Also the time from `docker service create` with labels to the first 200
 * through the proxy. Writes bench/results/ingress.json. Needs root and a Docker engine, like the e2e tests.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { parseDocument } from 'yaml';
import { DockerCli } from '../dist/lib/sandbox/docker.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { cachedIngressBundle } from '../dist/lib/sandbox/ingress-image.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { e2eHelper } from './e2e-helpers.mjs';
import { sandboxName, smoke, writeResult } from './results.mjs';

const { runOnHost } = await e2eHelper('faults.ts');

const root = fileURLToPath(new URL('..', import.meta.url));
// At the smallest size (--smoke): 2 s of load per path, one route timed.
const LOAD_MS = smoke ? 2_000 : 15_000;
const MAX_REQUESTS = 100_000;
const CONCURRENCY = 8;

function eectl(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`eectl ${args[0]} exited ${code}`)),
    );
  });
}

function get(address, port, host) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path: '/', agent: false, timeout: 5000, headers: { host } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ ok: res.statusCode === 200, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    req.end();
  });
}

/** Requests in a loop against the targets (alternating), CONCURRENCY at a time, for LOAD_MS at most. */
async function load(targets, host) {
  const latencies = [];
  let failed = 0;
  let sent = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() - started < LOAD_MS && sent < MAX_REQUESTS) {
        const [address, port] = targets[sent++ % targets.length];
        const r = await get(address, port, host);
        if (r.ok) latencies.push(r.ms);
        else failed++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) =>
    latencies.length
      ? Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2))
      : null;
  return {
    requests: sent,
    failed,
    rps: Math.round(latencies.length / seconds),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
  };
}

async function main() {
  const runLog = new RunLog('warn');
  const logger = runLog.logger('bench-ingress');
  const docker = new DockerCli({ logger });
  const bundle = await cachedIngressBundle(logger);
  const name = sandboxName('ingress');
  const up = await sandboxUp({ name, managers: 1, workers: 2, registries: 0, mode: 'plain', logger });
  try {
    const [w1, w2] = up.hosts.filter((h) => h.role === 'worker');
    const m1 = up.hosts.find((h) => h.role === 'manager');
    const doc = parseDocument(readFileSync(up.clusterFile, 'utf8'));
    doc.setIn(['spec', 'images', 'bundles'], [bundle.bundle]);
    doc.setIn(['spec', 'ingress'], { nodes: [w1.address, w2.address], image: bundle.image });
    writeFileSync(up.clusterFile, doc.toString());
    await eectl(['install', '-c', up.clusterFile, '--json']);
    // Values go in as positional parameters ("$1", "$@"), never into the script's text.
    const sh = async (script, args = []) =>
      (await runOnHost(docker, m1, script, { check: true, timeoutMs: 300_000, args })).stdout.trim();
    const image = await sh(`docker image inspect --format '{{.Id}}' "$1"`, [bundle.image]);
    /** `docker service create` of a busybox httpd answering `body`: the flags, then the image, as arguments. */
    const createHttpd = (flags, body) =>
      sh(
        `body=$1 image=$2; shift 2\n` +
          `docker service create --quiet --network eectl-ingress "$@" "$image" sh -c 'mkdir -p /w && echo "$1" > /w/index.html && exec busybox httpd -f -p 8000 -h /w' sh "$body"`,
        [body, image, ...flags],
      );

    // Time to the first 200: create (detached) with labels, then ask the proxy every 100 ms.
    const firstRoute = [];
    for (const i of smoke ? [1] : [1, 2, 3]) {
      const host = `first${i}.example.org`;
      const created = Date.now();
      await createHttpd(
        [
          '--detach',
          '--name',
          `first${i}`,
          '--label',
          `eectl.http.host=${host}`,
          '--label',
          'eectl.http.port=8000',
        ],
        'x',
      );
      while ((await get(w1.address, 80, host)).ok === false) {
        if (Date.now() - created > 60_000) throw new Error(`${host}: no 200 within 60 s`);
        await sleep(100);
      }
      firstRoute.push(Date.now() - created);
    }

    // One service, one task per worker: the proxy reaches it by tasks.bench; host-mode 9000 reaches the
    // task of the same node directly; 9001 is the routing mesh (ingress mode).
    await createHttpd(
      [
        '--detach=false',
        '--name',
        'bench',
        '--mode',
        'global',
        '--constraint',
        'node.role==worker',
        '--publish',
        'mode=host,target=8000,published=9000',
        '--publish',
        'mode=ingress,target=8000,published=9001',
        '--label',
        'eectl.http.host=bench.example.org',
        '--label',
        'eectl.http.port=8000',
      ],
      'bench',
    );
    const routed = Date.now();
    while (!(await get(w1.address, 80, 'bench.example.org')).ok) {
      if (Date.now() - routed > 60_000) throw new Error('bench.example.org: no 200 within 60 s');
      await sleep(200);
    }
    const proxies = [
      [w1.address, 80],
      [w2.address, 80],
    ];
    const direct = [
      [w1.address, 9000],
      [w2.address, 9000],
    ];
    const mesh = [
      [w1.address, 9001],
      [w2.address, 9001],
    ];
    const meshAnswers = (await get(w1.address, 9001, 'x')).ok;
    const result = {
      sandbox: '1 manager + 2 workers (proxies on both workers), HAProxy 2.6.12 from Debian 12',
      load: { ms: LOAD_MS, concurrency: CONCURRENCY, newConnectionPerRequest: true },
      throughIngress: await load(proxies, 'bench.example.org'),
      directToTasks: await load(direct, 'bench.example.org'),
      routingMesh: meshAnswers
        ? await load(mesh, 'bench.example.org')
        : 'no answer: the routing mesh needs the ip_vs kernel module, which these hosts lack',
      createToFirst200Ms: firstRoute,
    };
    console.log(JSON.stringify(result, null, 2));
    console.error(`wrote ${writeResult('ingress', result)}`);
  } finally {
    await sandboxDown(name, { logger });
    runLog.close();
  }
}

await main();
