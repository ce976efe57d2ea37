/**
 * `npm run bench:dashboard`: the dashboard of a 3 manager + 2 worker sandbox cluster, in Debian's
 * chromium. Writes bench/results/dashboard.json: time to first paint and to the overview's quorum
 * sentence (5 fresh browser profiles), and the server's CPU time per minute with 0, 1 and 5 pages open
 * (30 s each; 1 + 1 hosts, one profile, 5 s and 0, 1, 2 pages at the smallest size, --smoke)
 * while a service is scaled every 5 s (so every page gets snapshots). Needs root and a Docker engine,
 * like the e2e tests. BENCH_CLUSTER_FILE + BENCH_BUNDLE use an existing cluster instead of a new sandbox.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { chromium } from 'playwright-core';
import { EngineApi, readClientBundle } from '../dist/lib/engine-api/client.js';
import { loadCluster } from '../dist/lib/config/load.js';
import { managerEndpoints } from '../dist/lib/actions/dashboard.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { sandboxName, smoke, writeResult } from './results.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** At the smallest size (--smoke): 1 manager + 1 worker, one first paint, 5 s windows, 0, 1 and 2 pages. */
const SIZE = smoke ? { managers: 1, workers: 1 } : { managers: 3, workers: 2 };
const WINDOW_MS = smoke ? 5_000 : 30_000;
const PAINTS = smoke ? 1 : 5;
const MANY_PAGES = smoke ? 2 : 5;
const TICK = 100; // clock ticks per second of /proc/PID/stat (USER_HZ on Linux)

function eectl(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`eectl ${args[0]} exited ${code}`)),
    );
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'eectl-bench-dash-'));
  process.env.EECTL_HOME ??= join(work, 'home');
  const runLog = new RunLog('warn');
  const logger = runLog.logger('bench');
  let clusterFile = process.env.BENCH_CLUSTER_FILE;
  let bundle = process.env.BENCH_BUNDLE;
  let sandbox;
  // Whatever fails, the sandbox this made goes.
  try {
    if (!clusterFile || !bundle) {
      sandbox = sandboxName('dashboard');
      const up = await sandboxUp({
        name: sandbox,
        ...SIZE,
        registries: 0,
        mode: 'plain',
        logger,
      });
      clusterFile = up.clusterFile;
      await eectl(['install', '-c', clusterFile, '--json']);
      // Into the engines install just put there.
      loadBusybox(up.hosts);
      bundle = join(work, 'bundle');
      await eectl(['client-config', '-c', clusterFile, '--out', bundle, '--json'], {
        DOCKER_CONFIG: join(work, 'docker-config'),
      });
    }
    const { config } = await loadCluster(clusterFile);
    const api = new EngineApi({ endpoints: managerEndpoints(config), tls: await readClientBundle(bundle) });
    const server = spawn(
      process.execPath,
      [join(root, 'bin/run.js'), 'dashboard', '-c', clusterFile, '--bundle', bundle, '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
    );
    const contexts = [];
    try {
      const lines = createInterface({ input: server.stdout });
      const { url } = JSON.parse((await lines[Symbol.asyncIterator]().next()).value).result;
      const nodes = (await api.get('/nodes')).length;
      const service = await ensureService(api);

      const open = async () => {
        const context = await chromium.launchPersistentContext(mkdtempSync(join(work, 'chromium-')), {
          executablePath: '/usr/bin/chromium',
          args: CHROMIUM_ARGS,
          headless: true,
          viewport: { width: 1360, height: 900 },
        });
        contexts.push(context);
        const page = context.pages()[0] ?? (await context.newPage());
        await page.goto(url);
        await page
          .locator('[data-testid=quorum-sentence]', { hasText: 'In quorum' })
          .waitFor({ timeout: 30_000 });
        const ready = await page.evaluate('performance.now()');
        const fcp = await page.evaluate(
          `performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null`,
        );
        return { context, firstContentfulPaintMs: fcp, overviewReadyMs: ready };
      };

      // Time to first paint: each in a fresh profile, one at a time.
      const paints = [];
      for (let i = 0; i < PAINTS; i++) {
        const p = await open();
        paints.push({
          firstContentfulPaintMs: round(p.firstContentfulPaintMs),
          overviewReadyMs: round(p.overviewReadyMs),
        });
        await p.context.close();
        contexts.pop();
      }

      // CPU per connected page, while the cluster changes every 5 s.
      let replicas = 1;
      let churning = true;
      const churn = (async () => {
        while (churning) {
          replicas = replicas === 1 ? 2 : 1;
          await scale(api, service, replicas).catch(() => undefined);
          await sleep(5000);
        }
      })();
      const measure = async (pages) => {
        while (contexts.length < pages) await open();
        await sleep(3000);
        const before = cpuSeconds(server.pid);
        await sleep(WINDOW_MS);
        const used = cpuSeconds(server.pid) - before;
        return { pages, cpuSecondsPerMinute: round((used * 60_000) / WINDOW_MS, 3) };
      };
      const cpu = [];
      // With no page open the server reads nothing: the baseline.
      cpu.push(await measure(0));
      cpu.push(await measure(1));
      cpu.push(await measure(MANY_PAGES));
      churning = false;
      await churn;
      const perPage = round((cpu[2].cpuSecondsPerMinute - cpu[1].cpuSecondsPerMinute) / (MANY_PAGES - 1), 3);

      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const result = {
        cluster: { nodes, managers: api.endpoints.length },
        firstPaint: {
          runs: paints,
          medianFirstContentfulPaintMs: median(paints.map((p) => p.firstContentfulPaintMs)),
          medianOverviewReadyMs: median(paints.map((p) => p.overviewReadyMs)),
        },
        serverCpu: {
          windowSeconds: WINDOW_MS / 1000,
          churn: 'a replicated service scaled between 1 and 2 every 5 s',
          samples: cpu,
          firstPageCpuSecondsPerMinute: round(cpu[1].cpuSecondsPerMinute - cpu[0].cpuSecondsPerMinute, 3),
          eachFurtherPageCpuSecondsPerMinute: perPage,
        },
      };
      console.log(JSON.stringify(result, null, 2));
      console.error(`wrote ${writeResult('dashboard', result)}`);
    } finally {
      for (const c of contexts) await c.close().catch(() => undefined);
      server.kill('SIGTERM');
      api.close();
    }
  } finally {
    if (sandbox) await sandboxDown(sandbox, { logger });
    runLog.close();
  }
}

/** The sandbox's busybox image (built by sandbox up) into every host's engine: services need no registry. */
function loadBusybox(hosts) {
  const image = execFileSync('docker', [
    'images',
    'eectl-sandbox/busybox',
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ])
    .toString()
    .split('\n')[0];
  const archive = execFileSync('docker', ['save', image], { maxBuffer: 1 << 30 });
  for (const h of hosts)
    execFileSync('docker', ['exec', '-i', h.container, 'docker', 'load'], { input: archive });
}

/** A replicated service to scale: `bench-web` from the sandbox's busybox image when there is none. */
async function ensureService(api) {
  const existing = (await api.get('/services')).find((s) => s.Spec?.Mode?.Replicated);
  if (existing) return existing.ID;
  const image = (await api.get('/images/json'))
    .flatMap((i) => i.RepoTags ?? [])
    .find((t) => t.includes('busybox'));
  if (!image) throw new Error('no busybox image on the managers: load one, or create a replicated service');
  const created = await api.post('/services/create', {
    Name: 'bench-web',
    TaskTemplate: { ContainerSpec: { Image: image, Command: ['/bin/busybox', 'sleep', '86400'] } },
    Mode: { Replicated: { Replicas: 1 } },
  });
  return created.ID;
}

async function scale(api, id, replicas) {
  const s = await api.get(`/services/${id}`);
  await api.post(`/services/${id}/update?version=${s.Version.Index}`, {
    ...s.Spec,
    Mode: { Replicated: { Replicas: replicas } },
  });
}

const round = (x, digits = 0) => (x === null || x === undefined ? x : Number(x.toFixed(digits)));

await main();
