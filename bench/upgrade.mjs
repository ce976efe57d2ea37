/**
 * `npm run bench:upgrade`: installs engine 20.10 on a fresh 3 manager + 2 worker sandbox, runs a 4-replica
 * service (1 + 1 and 1 replica at the smallest size, --smoke), then `eectl upgrade --to 26.1` through the library, sampling the service every second; writes
 * bench/results/upgrade.json: total time, each host's window (drained to active again), and availability
 * (share of samples at the full replica count, the fewest seen). Needs root and a Docker engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { install } from '../dist/lib/actions/install.js';
import { upgrade } from '../dist/lib/actions/upgrade.js';
import { ClusterFile } from '../dist/lib/config/cluster-file.js';
import { loadCluster } from '../dist/lib/config/load.js';
import { openSession } from '../dist/lib/cluster/session.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { sandboxName, smoke, writeResult } from './results.mjs';

/** 3 managers + 2 workers and 4 replicas; at the smallest size (--smoke) 1 + 1 and 1 replica. */
const SIZE = smoke ? { managers: 1, workers: 1 } : { managers: 3, workers: 2 };
const REPLICAS = smoke ? 1 : 4;

const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const onHost = (name, host, script) => docker('exec', `eectl-${name}-${host}`, 'bash', '-c', script);

async function withSession(config, log, work) {
  const session = openSession({
    clusterName: config.metadata.name,
    log,
    acceptNewHostKeys: false,
    interactive: false,
    concurrency: 10,
  });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

const name = sandboxName('upgrade');
process.env.EECTL_HOME ??= mkdtempSync(join(tmpdir(), 'eectl-bench-'));
const runLog = new RunLog('warn');
runLog.openFile(join(tmpdir(), 'eectl-bench-logs'), name);
const log = runLog.logger('bench');
const sandbox = await sandboxUp({ name, ...SIZE, mode: 'plain', logger: log });
const hosts = sandbox.hosts.map((h) => h.hostname);
try {
  const { config } = await loadCluster(sandbox.clusterFile);
  const base = { config, log, dryRun: false, concurrency: 10, progress: 'plain' };
  await withSession(config, log, (session) => install({ ...base, session }));

  const image = docker('images', 'eectl-sandbox/busybox', '--format', '{{.Repository}}:{{.Tag}}').split(
    '\n',
  )[0];
  const dir = mkdtempSync(join(tmpdir(), 'eectl-bench-image-'));
  docker('save', '-o', join(dir, 'busybox.tar'), image);
  for (const h of hosts) {
    docker('cp', join(dir, 'busybox.tar'), `eectl-${name}-${h}:/tmp/busybox.tar`);
    onHost(name, h, 'docker load -i /tmp/busybox.tar >/dev/null && rm /tmp/busybox.tar');
  }
  rmSync(dir, { recursive: true, force: true });
  onHost(
    name,
    'm1',
    `docker service create --quiet --name web --replicas ${REPLICAS} --replicas-max-per-node 1 --no-resolve-image ${image} /bin/busybox sleep 100000`,
  );

  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const started = Date.now();
      const running = hosts
        .map((h) => {
          try {
            return Number(
              onHost(name, h, 'docker ps -q --filter label=com.docker.swarm.service.name=web | wc -l').trim(),
            );
          } catch {
            return 0;
          }
        })
        .reduce((a, b) => a + b, 0);
      samples.push(running);
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
  })();

  const started = performance.now();
  const file = await ClusterFile.read(sandbox.clusterFile);
  const result = await withSession(config, log, (session) =>
    upgrade({ ...base, session, file, to: '26.1', skipBackup: true, confirm: async () => undefined }),
  );
  const seconds = Math.round(performance.now() - started) / 1000;
  sampling = false;
  await sampler;

  const results = {
    hosts: `${SIZE.managers} managers + ${SIZE.workers} workers (sandbox, Debian 12), a ${REPLICAS}-replica service (max 1 per node)`,
    from: '20.10.24',
    to: result.plan.target,
    totalSeconds: seconds,
    phases: result.phases,
    /**
     * Each host's turn with its parts (drain, apply: the package install, stop/start or restart,
     * engineUp, ready, activate) and issue 27's goal: a turn within the drain + 1.5× the engine's own
     * restart (stop + start, or restart, until it answers).
     */
    windows: result.rolling.hosts.map((w) => {
      const t = w.times ?? {};
      const engine = (t.restart ?? 0) + (t.stop ?? 0) + (t.start ?? 0) + (t.engineUp ?? 0);
      const goal = Math.round(((t.drain ?? 0) + 1.5 * engine) * 1000) / 1000;
      return {
        ...w,
        engineRestartSeconds: Math.round(engine * 1000) / 1000,
        goalSeconds: goal,
        goalMet: w.seconds <= goal,
      };
    }),
    availability: {
      samples: samples.length,
      atFullCount: Math.round((samples.filter((n) => n >= REPLICAS).length / samples.length) * 1000) / 1000,
      fewestRunning: Math.min(...samples),
      desired: REPLICAS,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  console.error(`wrote ${writeResult('upgrade', results)}`);
} finally {
  await sandboxDown(name, { logger: log });
  runLog.close();
}
