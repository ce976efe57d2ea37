/**
 * `npm run bench -- --backup`: the backup test cluster (3 managers, 1 worker, 1 registry host; 1 manager
 * and the registry host at the smallest size, --smoke) with a
 * replicated and a global service from an image in the registry; then `eectl backup` (with and without
 * the registry's storage), every host replaced by a fresh one at the same address, and `eectl restore`;
 * then (not at the smallest size) the same archive restored onto a second sandbox on another subnet (every
 * address new, one more worker). The registry is named (registry.externalUrl, /etc/hosts on each host), as
 * a site that moves needs it. Writes bench/results/backup.json: backup time and archive size (both kinds),
 * both restore times, and how many samples of the quorum (every second during the backup) saw fewer than a
 * majority of managers reachable (a second in which no manager answers counts as 0).
 * eectl runs as its own process (bin/run.js), as a user runs it. Needs root and a Docker engine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDocument } from 'yaml';
import { localPkiDir } from '../dist/lib/pki/paths.js';
import { DockerCli } from '../dist/lib/sandbox/docker.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { e2eHelper } from './e2e-helpers.mjs';
import { sandboxName, smoke, writeResult } from './results.mjs';

const { recreateSandboxHosts } = await e2eHelper('recreate.ts');

/** 3 managers, 1 worker, 1 registry host; at the smallest size (--smoke) 1 manager and the registry host. */
const SIZE = smoke ? { managers: 1, workers: 0, registries: 1 } : { managers: 3, workers: 1, registries: 1 };
const MANAGERS = Array.from({ length: SIZE.managers }, (_, i) => `m${i + 1}`);
const MAJORITY = Math.floor(SIZE.managers / 2) + 1;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = sandboxName('backup');
process.env.EECTL_HOME ??= mkdtempSync(join(tmpdir(), 'eectl-bench-'));
const runLog = new RunLog('warn');
runLog.openFile(join(tmpdir(), 'eectl-bench-logs'), name);
const log = runLog.logger('bench');

const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const onHost = (host, script, sandboxName = name) =>
  docker('exec', `eectl-${sandboxName}-${host}`, 'bash', '-c', script);
const REGISTRY_NAME = 'registry.bench';

/** Names the registry in the sandbox's cluster file (once) and in every host's /etc/hosts. */
function nameTheRegistry(sb, { file }) {
  if (file) {
    const doc = parseDocument(readFileSync(sb.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'externalUrl'], `${REGISTRY_NAME}:5443`);
    writeFileSync(sb.clusterFile, doc.toString());
  }
  const at = sb.hosts.find((h) => h.role === 'registry').address;
  for (const h of sb.hosts)
    onHost(h.hostname, `printf '%s %s\\n' ${at} ${REGISTRY_NAME} >> /etc/hosts`, sb.name);
}

/** Runs the CLI as a user would; resolves with its exit code, parsed --json output and wall time. */
function eectl(args) {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const seconds = Math.round(performance.now() - started) / 1000;
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      if (code !== 0) console.error(`eectl ${args[0]} exited ${code}:\n${stderr}\n${stdout.slice(0, 4000)}`);
      done({ code, json, seconds });
    });
  });
}

/** Samples the managers' reachability every second from whichever manager answers, until stopped. */
function sampleQuorum() {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      let reachable = 0;
      for (const m of MANAGERS) {
        try {
          const out = onHost(m, "docker node ls --format '{{.ManagerStatus}}' 2>/dev/null");
          reachable = out.split('\n').filter((s) => s === 'Leader' || s === 'Reachable').length;
          break;
        } catch {
          // the next manager; none answering is a sample of 0
        }
      }
      samples.push(reachable);
      await sleep(1000);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return samples;
  };
}

const work = mkdtempSync(join(tmpdir(), 'eectl-bench-backup-'));
const keyFile = join(work, 'key.txt');
const must = (r, what) => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code})`);
  return r;
};
const sandbox = await sandboxUp({
  name,
  ...SIZE,
  mode: 'plain',
  logger: log,
});
let dr;
try {
  const file = sandbox.clusterFile;
  nameTheRegistry(sandbox, { file: true });
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  const recipient = /public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))[1];
  const installed = must(await eectl(['install', '-c', file]), 'install');
  // The cluster's CA certificate, kept as an operator keeps a client bundle's ca.pem: the restore onto the
  // second sandbox (another cluster file, no CA of its own on this machine) checks the archive against it.
  const oldCa = join(work, 'ca.pem');
  copyFileSync(join(localPkiDir(name), 'ca.pem'), oldCa);
  const password = installed.json.result.registry.adminPassword;
  const registry = `${REGISTRY_NAME}:5443`;
  const local = docker('images', 'eectl-sandbox/busybox', '--format', '{{.Repository}}:{{.Tag}}').split(
    '\n',
  )[0];
  docker('save', '-o', join(work, 'busybox.tar'), local);
  docker('cp', join(work, 'busybox.tar'), `eectl-${name}-m1:/tmp/busybox.tar`);
  const image = `${registry}/bench/busybox:1`;
  // The password goes through stdin, never a command line.
  execFileSync(
    'docker',
    ['exec', '-i', `eectl-${name}-m1`, 'docker', 'login', '-u', 'admin', '--password-stdin', registry],
    { input: password, stdio: ['pipe', 'ignore', 'inherit'] },
  );
  onHost(
    'm1',
    [
      'set -e',
      'docker load -i /tmp/busybox.tar >/dev/null && rm /tmp/busybox.tar',
      `docker tag ${local} ${image} && docker push ${image} >/dev/null`,
      `docker service create --detach=false --quiet --with-registry-auth --name web --replicas 3 ${image} /bin/busybox sleep 36000`,
      `docker service create --detach=false --quiet --with-registry-auth --name agent --mode global ${image} /bin/busybox sleep 36000`,
    ].join('\n'),
  );

  // One manager (the smallest size) stops the swarm's management for the copy: eectl asks, --yes accepts.
  const BACKUP = ['backup', '-c', file, ...(SIZE.managers === 1 ? ['--yes'] : [])];
  const out = join(work, 'archives');
  mkdirSync(out);
  const stopState = sampleQuorum();
  const state = must(
    await eectl([...BACKUP, '--recipient', recipient, '--out', `${out}/state.tar.age`]),
    'backup',
  );
  const withData = must(
    await eectl([
      ...BACKUP,
      '--recipient',
      recipient,
      '--include-registry-data',
      '--out',
      `${out}/full.tar.age`,
    ]),
    'backup --include-registry-data',
  );
  const quorum = await stopState();

  await recreateSandboxHosts(new DockerCli({ logger: log }), sandbox);
  nameTheRegistry(sandbox, { file: false });
  const restored = must(
    await eectl(['restore', withData.json.result.archive, '-c', file, '--identity', keyFile]),
    'restore',
  );
  let moved;
  if (!smoke) {
    // The first sandbox is down before the second comes up (as in a lost site); a network holds its subnet.
    const oldSubnet = sandbox.network.subnet;
    await sandboxDown(name, { logger: log });
    docker(
      'network',
      'create',
      '--subnet',
      oldSubnet,
      '--label',
      `eectl.sandbox=${name}-hold`,
      `eectl-${name}-hold`,
    );
    dr = await sandboxUp({
      name: `${name}-dr`,
      managers: 3,
      workers: 2,
      registries: 1,
      mode: 'plain',
      logger: log,
    });
    nameTheRegistry(dr, { file: true });
    moved = must(
      await eectl([
        'restore',
        withData.json.result.archive,
        '-c',
        dr.clusterFile,
        '--identity',
        keyFile,
        '--trust',
        oldCa,
      ]),
      'restore onto new addresses',
    );
  }

  const mib = (path) => Math.round((statSync(path).size / 2 ** 20) * 10) / 10;
  const results = {
    cluster: `${SIZE.managers} managers + ${SIZE.workers} workers + ${SIZE.registries} registry host (sandbox, Debian 12, engine 20.10), 2 services, 1 image`,
    backup: {
      seconds: state.seconds,
      archiveMiB: mib(state.json.result.archive),
      files: state.json.result.counts.files,
    },
    backupWithRegistryData: {
      seconds: withData.seconds,
      archiveMiB: mib(withData.json.result.archive),
      files: withData.json.result.counts.files,
    },
    restore: {
      seconds: restored.seconds,
      differences: restored.json.result.differences,
      services: restored.json.result.services,
    },
    restoreOntoNewAddresses: moved
      ? {
          cluster: '3 managers + 2 workers + 1 registry host on another /24 (every address new)',
          seconds: moved.seconds,
          differences: moved.json.result.differences,
          services: moved.json.result.services,
        }
      : 'not at the smallest size (--smoke): the backup e2e restores onto new addresses',
    quorumDuringBackups: {
      samples: quorum.length,
      belowMajority: quorum.filter((n) => n < MAJORITY).length,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  console.error(`wrote ${writeResult('backup', results)}`);
} finally {
  await sandboxDown(name, { logger: log });
  if (dr) await sandboxDown(dr.name, { logger: log });
  try {
    docker('network', 'rm', `eectl-${name}-hold`);
  } catch {
    // not made
  }
  rmSync(work, { recursive: true, force: true });
  runLog.close();
}
