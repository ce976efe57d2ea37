/**
 * `npm run bench:scale` (or `npm run bench -- --scale`): eectl against simulated hosts (bench/simulator/,
 * in this process, on loopback) at 5, 50, 200 and 500 hosts: install from fresh, a no-op re-install,
 * status, and `node join` of one more host. eectl runs as its own process (bin/run.js), so the CPU time
 * and peak RSS are its own. Writes bench/results/scale.json and docs/scale.svg (bench/scale-chart.mjs).
 * The simulator answers what eectl sends from a small state machine; it never shows that a feature works.
 *
 * At its smallest size (--smoke, ./results.mjs) 5 and 50 hosts, and no chart.
 * Options: --sizes 5,50 --latency 20 --jitter 5 --concurrency 50 --no-chart, --out FILE (instead of
 * bench/results/scale.json), --node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" (for the eectl processes).
 */
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsDir, smoke, writeResult } from './results.mjs';
import { keyPair, startSimulator } from './simulator/server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', smoke ? '5,50' : '5,50,200,500')
  .split(',')
  .map(Number);
const latencyMs = Number(arg('latency', '20'));
const jitterMs = Number(arg('jitter', '5'));
const concurrency = Number(arg('concurrency', '50'));
const nodeArgs = arg('node-args', '').split(' ').filter(Boolean);
const outFile = resolve(arg('out', join(resultsDir, 'scale.json')));
const CLUSTER = 'scale';
const PORT = 2222;
/** No eectl run may take longer than this (the simulator also closes itself after 30 minutes). */
const RUN_TIMEOUT_MS = 10 * 60_000;

function clusterYaml(hosts, managers, keyPath) {
  const lines = [
    'apiVersion: eectl/v1',
    'kind: Cluster',
    `metadata: { name: ${CLUSTER} }`,
    'spec:',
    '  hosts:',
  ];
  hosts.forEach((h, i) => {
    lines.push(`    - address: ${h.sshAddress}`);
    lines.push(`      role: ${i < managers ? 'manager' : 'worker'}`);
    lines.push(`      ssh: { user: root, port: ${PORT}, keyPath: ${keyPath} }`);
  });
  lines.push('  engine: { source: docker, version: "27.3" }');
  return `${lines.join('\n')}\n`;
}

function totals(hosts) {
  const t = { connections: 0, execs: 0, sftpSessions: 0, sftpRequests: 0 };
  for (const h of hosts) for (const k of Object.keys(t)) t[k] += h.counters[k];
  return t;
}

/** Runs the real CLI as its own process; returns its wall time, CPU time, peak RSS and JSON result. */
function eectl(args, env, dir) {
  const usageFile = join(dir, 'usage.json');
  rmSync(usageFile, { force: true });
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      join(root, 'node_modules/.bin/node'),
      [
        ...nodeArgs,
        '--import',
        join(root, 'bench/simulator/usage-preload.mjs'),
        join(root, 'bin/run.js'),
        ...args,
      ],
      { cwd: dir, env: { ...env, EECTL_BENCH_USAGE: usageFile }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      let usage = { cpuUs: NaN, maxRssKb: NaN };
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      } catch {
        // reported below as NaN: the process did not exit normally
      }
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolvePromise({
        code,
        wallSeconds,
        cpuSeconds: usage.cpuUs / 1e6,
        peakRssMb: usage.maxRssKb / 1024,
        json,
        stderr,
        stdout,
      });
    });
  });
}

async function benchSize(n, work) {
  const dir = mkdtempSync(join(tmpdir(), `eectl-scale-${n}-`));
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const client = keyPair();
  const keyPath = join(dir, 'id_ed25519');
  writeFileSync(keyPath, client.private, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    EECTL_HOME: join(home, '.eectl'),
    CI: '1',
    NO_COLOR: '1',
  };
  // One host more than the file names: the one `node join` adds.
  const sim = await startSimulator({
    count: n + 1,
    port: PORT,
    latencyMs,
    jitterMs,
    clientPublicKey: client.public,
    knownHostsPath: join(env.EECTL_HOME, CLUSTER, 'known_hosts'),
  });
  const managers = n < 50 ? 3 : 5;
  const inFile = sim.hosts.slice(0, n);
  const joiner = sim.hosts[n];
  writeFileSync(join(dir, 'cluster.yaml'), clusterYaml(inFile, managers, keyPath));
  const runs = [];
  const measure = async (scenario, args, check) => {
    const before = totals(sim.hosts);
    const loadBefore = loadavg()[0];
    const r = await eectl(
      [...args, '-c', 'cluster.yaml', '--json', '--concurrency', String(concurrency)],
      env,
      dir,
    );
    const after = totals(sim.hosts);
    const d = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
    const hostsNow = scenario === 'join' ? n + 1 : n;
    const problem =
      r.code !== 0 ? `exit ${r.code}: ${r.stdout.slice(0, 3000)} ${r.stderr.slice(-1500)}` : check?.(r.json);
    if (sim.world.unknown.length > 0) {
      throw new Error(
        `the simulator met commands it does not know:\n${JSON.stringify(sim.world.unknown.slice(0, 5), null, 2)}`,
      );
    }
    if (problem) throw new Error(`${scenario} at ${n} hosts failed: ${problem}`);
    const run = {
      scenario,
      hosts: n,
      managers,
      wallSeconds: round(r.wallSeconds),
      /** The action's own time as eectl reports it (--json result.seconds): wall time less process start. */
      actionSeconds: r.json?.result?.seconds ?? r.json?.result?.install?.seconds,
      cpuSeconds: round(r.cpuSeconds),
      peakRssMb: round(r.peakRssMb, 1),
      roundTripsPerHost: round((d.execs + d.sftpSessions) / hostsNow),
      connections: d.connections,
      /** The machine's 1-minute load average before and after: wall times on a shared machine vary with it. */
      loadAverage: [round(loadBefore, 1), round(loadavg()[0], 1)],
      execs: d.execs,
      sftpSessions: d.sftpSessions,
      sftpRequests: d.sftpRequests,
      changes: r.json?.result?.changes?.length ?? r.json?.result?.install?.changes?.length,
      phases: (r.json?.result?.phases ?? r.json?.result?.install?.phases)?.map((p) => ({
        title: p.title,
        seconds: p.seconds,
      })),
    };
    console.error(
      `${scenario.padEnd(7)} ${String(n).padStart(4)} hosts: ${run.wallSeconds}s wall${run.actionSeconds === undefined ? '' : ` (${run.actionSeconds}s in the action)`}, ${run.cpuSeconds}s CPU, ${run.peakRssMb} MB, ${run.roundTripsPerHost} trips/host, ${run.connections} connections`,
    );
    runs.push(run);
    return r;
  };
  try {
    if (work.includes('install')) {
      await measure('install', ['install', '--yes'], (j) =>
        j?.result?.converged === false ? undefined : 'install changed nothing on fresh hosts',
      );
      await measure('noop', ['install', '--yes'], (j) =>
        j?.result?.converged ? undefined : `no-op install changed ${j?.result?.changes?.length} things`,
      );
      await measure('status', ['status'], (j) =>
        j?.result?.health === 'healthy'
          ? undefined
          : `status says ${j?.result?.health}: ${j?.result?.problems?.slice(0, 3)}`,
      );
      await measure(
        'join',
        [
          'node',
          'join',
          '--address',
          joiner.sshAddress,
          '--role',
          'worker',
          '--ssh-user',
          'root',
          '--ssh-port',
          String(PORT),
          '--ssh-key',
          keyPath,
          '--yes',
        ],
        () => (joiner.member ? undefined : 'the joined host is not in the swarm'),
      );
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

const runs = [];
for (const n of sizes) runs.push(...(await benchSize(n, ['install'])));
const result = {
  simulator: {
    latencyMs,
    jitterMs,
    note: 'bench/simulator: SSH servers on loopback answering from a state machine; not a feature test',
  },
  concurrency,
  runs,
};
writeResult('scale', result, outFile);
console.error(`wrote ${outFile}`);
if (!smoke && !process.argv.includes('--no-chart')) {
  const { writeChart } = await import('./scale-chart.mjs');
  await writeChart(result, join(root, 'docs/scale.svg'));
  console.error('wrote docs/scale.svg');
}
