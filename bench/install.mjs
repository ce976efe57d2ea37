/**
 * `npm run bench`: installs a 3 manager + 2 worker cluster into a fresh sandbox, then installs again on
 * the converged cluster (1 + 1 at the smallest size, --smoke), and writes bench/results/install.json: wall time per phase, totals, and the SSH
 * round trips (exec, upload, read) per host of each run. Needs root and a Docker engine, like the e2e tests.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install } from '../dist/lib/actions/install.js';
import { loadCluster } from '../dist/lib/config/load.js';
import { openSession } from '../dist/lib/cluster/session.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/ui/log.js';
import { loadAverage, sandboxName, smoke, writeResult } from './results.mjs';

/** The cluster: 3 managers + 2 workers; at the smallest size (--smoke) 1 + 1. */
const SIZE = smoke ? { managers: 1, workers: 1 } : { managers: 3, workers: 2 };

/** A session whose connections count their round trips (exec, upload, readFile) per host. */
function countingSession(inner, counts) {
  const wrap = (conn) => {
    const bump = () => counts.set(conn.name, (counts.get(conn.name) ?? 0) + 1);
    return new Proxy(conn, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'exec' || prop === 'upload' || prop === 'readFile') {
          return (...args) => {
            bump();
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  };
  return { connect: async (spec) => wrap(await inner.connect(spec)), close: () => inner.close() };
}

async function run(clusterFile, log, label) {
  const { config } = await loadCluster(clusterFile);
  const counts = new Map();
  const session = countingSession(
    openSession({
      clusterName: config.metadata.name,
      log: log.logger(label),
      acceptNewHostKeys: false,
      interactive: false,
      concurrency: 10,
    }),
    counts,
  );
  const loadBefore = loadAverage()[0];
  const started = performance.now();
  let result;
  try {
    result = await install({
      config,
      session,
      log: log.logger(label),
      dryRun: false,
      concurrency: 10,
      progress: 'plain',
    });
  } finally {
    await session.close();
  }
  return {
    seconds: Math.round(performance.now() - started) / 1000,
    loadAverage: [loadBefore, loadAverage()[0]],
    changes: result.changes.length,
    converged: result.converged,
    phases: result.phases,
    roundTripsPerHost: Object.fromEntries([...counts.entries()].sort()),
  };
}

/**
 * The time to beat: what a hand-written script does over the same SSH connections —
 * install the engine on every host in parallel, and only once all are done, init the swarm on the first
 * manager, join the other managers one by one and the workers in parallel. No checks, no idempotency.
 */
async function baseline(clusterFile, log) {
  const { config } = await loadCluster(clusterFile);
  const session = openSession({
    clusterName: config.metadata.name,
    log: log.logger('baseline'),
    acceptNewHostKeys: false,
    interactive: false,
    concurrency: 10,
  });
  const loadBefore = loadAverage()[0];
  const started = performance.now();
  try {
    const hosts = await Promise.all(
      config.spec.hosts.map(async (spec) => ({ spec, conn: await session.connect(spec) })),
    );
    const sh = (h, script, stdin) =>
      h.conn.exec(['sh', '-c', script], { sudo: true, timeoutMs: 900_000, ...(stdin ? { env: stdin } : {}) });
    await Promise.all(
      hosts.map((h) =>
        sh(
          h,
          'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io=20.10.24+dfsg1-1+deb12u1+b6',
        ),
      ),
    );
    const engines = performance.now();
    const [first, ...rest] = hosts;
    await sh(first, `docker swarm init --advertise-addr ${first.spec.address}`);
    const token = async (role) => (await sh(first, `docker swarm join-token -q ${role}`)).stdout.trim();
    const [managerToken, workerToken] = [await token('manager'), await token('worker')];
    const join = (h, t) =>
      sh(h, `docker swarm join --token "$T" --advertise-addr ${h.spec.address} ${first.spec.address}:2377`, {
        T: t,
      });
    for (const h of rest.filter((x) => x.spec.role === 'manager')) await join(h, managerToken);
    await Promise.all(rest.filter((x) => x.spec.role !== 'manager').map((h) => join(h, workerToken)));
    const done = performance.now();
    return {
      seconds: Math.round(done - started) / 1000,
      loadAverage: [loadBefore, loadAverage()[0]],
      enginesSeconds: Math.round(engines - started) / 1000,
      swarmSeconds: Math.round(done - engines) / 1000,
    };
  } finally {
    await session.close();
  }
}

/** Ansible is not measured here yet: the result says whether it could have been. */
function ansibleNote() {
  const found = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'ansible-playbook')));
  return found
    ? 'ansible-playbook is installed, but this benchmark has no playbook for it yet: not measured'
    : 'not measured: ansible-playbook is not installed on this machine';
}

const name = sandboxName('install');
process.env.EECTL_HOME ??= mkdtempSync(join(tmpdir(), 'eectl-bench-'));
const log = new RunLog('warn');
log.openFile(join(tmpdir(), 'eectl-bench-logs'), name);
const upStarted = performance.now();
const sandbox = await sandboxUp({
  name,
  ...SIZE,
  mode: 'plain',
  logger: log.logger('sandbox'),
});
const sandboxSeconds = Math.round(performance.now() - upStarted) / 1000;
try {
  const fresh = await run(sandbox.clusterFile, log, 'fresh');
  const noop = await run(sandbox.clusterFile, log, 'noop');
  // The same hosts fresh again, for the hand-written script.
  await sandboxDown(name, { logger: log.logger('sandbox') });
  const again = await sandboxUp({
    name,
    ...SIZE,
    mode: 'plain',
    logger: log.logger('sandbox'),
  });
  const script = await baseline(again.clusterFile, log);
  const results = {
    /** The other peer of issue 27's table: measured only where it is installed, and said so otherwise. */
    ansible: ansibleNote(),
    hosts: `${SIZE.managers} managers + ${SIZE.workers} workers (sandbox, Debian 12, engine from the sandbox mirror)`,
    sandboxUpSeconds: sandboxSeconds,
    install: fresh,
    noopReinstall: noop,
    handWrittenScript: script,
  };
  if (!noop.converged) throw new Error(`the second install changed ${noop.changes} things`);
  console.log(JSON.stringify(results, null, 2));
  console.error(`wrote ${writeResult('install', results)}`);
} finally {
  await sandboxDown(name, { logger: log.logger('sandbox') });
  log.close();
}
