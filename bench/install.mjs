/**
 * `npm run bench -- --install`: eectl install against its two peers on the same kind of fresh hosts
 * (3 managers + 2 workers; 1 + 1 at the smallest size, --smoke): a hand-written script (engines with apt
 * in parallel, then the swarm) and, where ansible-playbook is installed, an Ansible playbook
 * (bench/ansible/install.yml); then each again on its converged cluster (eectl and Ansible). Every peer
 * gets fresh hosts for each run, and the rounds (3, 1 at the smallest size, `--rounds N`) rotate the
 * order, so the load that one run leaves behind does not always fall on the same peer. Writes
 * bench/results/install.json: the medians, every round with its load average, and the last round's eectl
 * runs in full (wall time per phase, SSH round trips per host). Needs root and a Docker engine.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { install } from '../dist/lib/actions/install.js';
import { loadCluster } from '../dist/lib/config/load.js';
import { openSession } from '../dist/lib/cluster/session.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { loadAverage, sandboxName, smoke, writeResult } from './results.mjs';

/** The engine package the script and Ansible install (eectl resolves the same from the file's 20.10). */
const ENGINE_PACKAGE = '20.10.24+dfsg1-1+deb12u1+b6';
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
  // The same work as the script and the playbook: the sandbox file also loads a workload image on every
  // host (about a second), which they do not do.
  config.spec.images.bundles = [];
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
          `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io=${ENGINE_PACKAGE}`,
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

/** ansible-playbook on this machine's PATH, or undefined. */
function ansiblePlaybook() {
  return (process.env.PATH ?? '')
    .split(':')
    .map((d) => d && join(d, 'ansible-playbook'))
    .find((p) => p && existsSync(p));
}

/**
 * The Ansible peer: bench/ansible/install.yml (the same engine and swarm as the script, idempotent) with
 * pipelining and 10 forks, fresh and then again on the converged cluster. The inventory is written from
 * the sandbox: its addresses, users, key and known_hosts (host keys checked, as eectl checks them).
 */
async function ansible(sandbox, log) {
  const playbook = ansiblePlaybook();
  const work = mkdtempSync(join(tmpdir(), 'eectl-bench-ansible-'));
  const [founder, ...others] = sandbox.hosts.filter((h) => h.role === 'manager');
  const hostVars = (h) => ({ ansible_host: h.address, ansible_user: h.user });
  const group = (hosts) => ({ hosts: Object.fromEntries(hosts.map((h) => [h.hostname, hostVars(h)])) });
  const inventory = {
    all: {
      vars: {
        ansible_ssh_private_key_file: sandbox.keyPath,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${sandbox.knownHostsFile} -o StrictHostKeyChecking=yes`,
        ansible_python_interpreter: '/usr/bin/python3',
        engine_version: ENGINE_PACKAGE,
      },
      children: {
        founder: group([founder]),
        managers: group([founder, ...others]),
        workers: group(sandbox.hosts.filter((h) => h.role === 'worker')),
      },
    },
  };
  const inventoryFile = join(work, 'inventory.json');
  writeFileSync(inventoryFile, JSON.stringify(inventory));
  const env = {
    ...process.env,
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_FORKS: '10',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_GATHERING: 'explicit',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_HOME: join(work, 'home'),
    ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(work, 'cp'),
  };
  const book = fileURLToPath(new URL('./ansible/install.yml', import.meta.url));
  const once = async (label) => {
    const loadBefore = loadAverage()[0];
    const started = performance.now();
    const r = await execa(playbook, ['-i', inventoryFile, book], { env, reject: false, all: true });
    const seconds = Math.round(performance.now() - started) / 1000;
    writeFileSync(join(work, `${label}.log`), r.all ?? '');
    log.logger('ansible').info(`ansible-playbook ${label}: exit ${r.exitCode} in ${seconds} s`);
    if (r.exitCode !== 0) {
      throw new Error(`ansible-playbook (${label}) exited ${r.exitCode}:\n${(r.all ?? '').slice(-3000)}`);
    }
    // PLAY RECAP: one line per host, "changed=N".
    const changed = [...(r.all ?? '').matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    return { seconds, loadAverage: [loadBefore, loadAverage()[0]], changed };
  };
  const fresh = await once('fresh');
  const converged = await once('converged');
  if (converged.changed !== 0)
    throw new Error(`the second ansible-playbook run changed ${converged.changed} things`);
  return {
    measured: true,
    version: (await execa(playbook, ['--version'])).stdout.split('\n')[0],
    settings: 'pipelining, 10 forks, host keys checked, no fact gathering',
    install: fresh,
    convergedReinstall: converged,
  };
}

const name = sandboxName('install');
process.env.EECTL_HOME ??= mkdtempSync(join(tmpdir(), 'eectl-bench-'));
const log = new RunLog('warn');
log.openFile(join(tmpdir(), 'eectl-bench-logs'), name);

/** Rounds of the three peers, each on fresh hosts: 3, or 1 at the smallest size; `--rounds N` says otherwise. */
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : smoke ? 1 : 3;

/** Fresh hosts for one peer's run (the previous sandbox of this name removed first). */
async function freshSandbox() {
  await sandboxDown(name, { logger: log.logger('sandbox') });
  const started = performance.now();
  const desc = await sandboxUp({ name, ...SIZE, mode: 'plain', logger: log.logger('sandbox') });
  return { desc, seconds: Math.round(performance.now() - started) / 1000 };
}

/** The peers; each round runs them in another order, so no peer always runs after the same one. */
const PEERS = {
  eectl: async (sandbox) => {
    const fresh = await run(sandbox.clusterFile, log, 'fresh');
    const noop = await run(sandbox.clusterFile, log, 'noop');
    if (!noop.converged) throw new Error(`the second install changed ${noop.changes} things`);
    return { install: fresh, noopReinstall: noop };
  },
  script: async (sandbox) => baseline(sandbox.clusterFile, log),
  ansible: async (sandbox) => ansible(sandbox, log),
};
const median = (xs) => {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round(((sorted[mid - 1] + sorted[mid]) / 2) * 1000) / 1000;
};

const order = Object.keys(PEERS).filter((p) => p !== 'ansible' || ansiblePlaybook());
const rounds = [];
let sandboxUpSeconds;
try {
  for (let r = 0; r < ROUNDS; r++) {
    const round = { order: order.map((_, i) => order[(i + r) % order.length]) };
    for (const peer of round.order) {
      const { desc, seconds } = await freshSandbox();
      sandboxUpSeconds ??= seconds;
      round[peer] = await PEERS[peer](desc);
      console.error(`round ${r + 1}/${ROUNDS}: ${peer} done`);
    }
    rounds.push(round);
  }
  const eectlFresh = median(rounds.map((r) => r.eectl.install.seconds));
  const scriptFresh = median(rounds.map((r) => r.script.seconds));
  const ansibleFresh = median(rounds.map((r) => r.ansible?.install?.seconds));
  const eectlNoop = median(rounds.map((r) => r.eectl.noopReinstall.seconds));
  const ansibleNoop = median(rounds.map((r) => r.ansible?.convergedReinstall?.seconds));
  const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : undefined);
  const last = rounds.at(-1);
  const results = {
    hosts: `${SIZE.managers} managers + ${SIZE.workers} workers (sandbox, Debian 12, engine from the sandbox mirror)`,
    roundCount: ROUNDS,
    sandboxUpSeconds,
    /** Medians over the rounds, each peer on fresh hosts every time. */
    summary: {
      eectlInstall: eectlFresh,
      handWrittenScript: scriptFresh,
      ansible: ansibleFresh ?? 'not measured: ansible-playbook is not installed on this machine',
      eectlConverged: eectlNoop,
      ansibleConverged: ansibleNoop,
      eectlVsScript: ratio(eectlFresh, scriptFresh),
      ansibleVsEectl: ratio(ansibleFresh, eectlFresh),
      ansibleConvergedVsEectl: ratio(ansibleNoop, eectlNoop),
    },
    // The last round's eectl runs in full (phases, round trips), as before; every round in `rounds`.
    install: last.eectl.install,
    noopReinstall: last.eectl.noopReinstall,
    handWrittenScript: last.script,
    ansible: last.ansible ?? { measured: false, why: 'ansible-playbook is not installed on this machine' },
    rounds: rounds.map((r) => ({
      order: r.order,
      eectl: {
        install: r.eectl.install.seconds,
        loadAverage: r.eectl.install.loadAverage,
        noop: r.eectl.noopReinstall.seconds,
      },
      script: { seconds: r.script.seconds, loadAverage: r.script.loadAverage },
      ...(r.ansible && {
        ansible: {
          install: r.ansible.install.seconds,
          loadAverage: r.ansible.install.loadAverage,
          converged: r.ansible.convergedReinstall.seconds,
        },
      }),
    })),
  };
  console.log(JSON.stringify(results, null, 2));
  console.error(`wrote ${writeResult('install', results)}`);
} finally {
  await sandboxDown(name, { logger: log.logger('sandbox') });
  log.close();
}
