/**
 * `npm run bench -- --registry`: garbage collection on a repository of 200 tags (1 manager + 2 registry
 * hosts on shared storage, the sandbox's Distribution 2.8.2): each tag an image with a layer of its own,
 * `eectl registry prune` keeping the last 10 by a retention rule, then `eectl registry gc`: its wall time,
 * the blobs and bytes it freed, and the read-only window (how long pushes were refused), with its phases'
 * times. Writes bench/results/registry.json. Needs root and a Docker engine, like the e2e tests.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { parseDocument } from 'yaml';
import { DockerCli } from '../dist/lib/sandbox/docker.js';
import { sandboxDown } from '../dist/lib/sandbox/down.js';
import { sandboxUp } from '../dist/lib/actions/sandbox-up.js';
import { RunLog } from '../dist/lib/util/log.js';
import { e2eHelper } from './e2e-helpers.mjs';
import { sandboxName, smoke, writeResult } from './results.mjs';

const { runOnHost } = await e2eHelper('faults.ts');

const root = fileURLToPath(new URL('..', import.meta.url));
// At the smallest size (--smoke): 5 tags, 2 kept.
const TAGS = smoke ? 5 : 200;
const KEEP = smoke ? 2 : 10;
const LAYER_KIB = 64;

/** The built CLI with --json; resolves with the parsed result and the wall time. */
function eectl(args) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args, '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve({ result: JSON.parse(out).result, ms: Date.now() - started })
        : reject(new Error(`eectl ${args.slice(0, 2).join(' ')} exited ${code}: ${out.slice(0, 500)}`)),
    );
  });
}

async function main() {
  const runLog = new RunLog('warn');
  const logger = runLog.logger('bench-registry');
  const docker = new DockerCli({ logger });
  const name = sandboxName('registry');
  const up = await sandboxUp({ name, managers: 1, workers: 0, registries: 2, mode: 'plain', logger });
  try {
    const m1 = up.hosts.find((h) => h.role === 'manager');
    const r1 = up.hosts.find((h) => h.role === 'registry');
    const doc = parseDocument(readFileSync(up.clusterFile, 'utf8'));
    doc.setIn(['spec', 'registry', 'retention'], [{ repository: 'bench/*', keep: { last: KEEP } }]);
    writeFileSync(up.clusterFile, doc.toString());
    const file = ['-c', up.clusterFile];
    const installed = await eectl(['install', ...file]);
    const password = installed.result.registry.adminPassword;
    const registry = `${r1.address}:5443`;
    // Values go in as positional parameters ("$1", "$@"), never into the script's text.
    const sh = (script, args = []) =>
      runOnHost(docker, m1, script, { check: true, timeoutMs: 3_600_000, args });
    await sh('printf "%s" "$1" | docker login -u admin --password-stdin "$2" >/dev/null 2>&1', [
      password,
      registry,
    ]);
    const pushStarted = Date.now();
    await sh(
      'base=$(docker images eectl-sandbox/busybox --format "{{.Repository}}:{{.Tag}}" | head -n1); d=$(mktemp -d)\n' +
        'for i in $(seq 1 "$1"); do head -c $(($3 * 1024)) /dev/urandom > "$d/blob"; ' +
        'printf "FROM %s\\nCOPY blob /blob\\n" "$base" > "$d/Dockerfile"; ' +
        'docker build -q -t "$2/bench/app:t$i" "$d" >/dev/null && docker push "$2/bench/app:t$i" >/dev/null || exit 1; ' +
        'docker rmi "$2/bench/app:t$i" >/dev/null; done',
      [String(TAGS), registry, String(LAYER_KIB)],
    );
    const pushMs = Date.now() - pushStarted;
    const prune = await eectl(['registry', 'prune', '--yes', ...file]);
    const gc = await eectl(['registry', 'gc', '--yes', ...file]);
    const phase = (title) => gc.result.phases.find((p) => p.title === title)?.seconds;
    const result = {
      sandbox: '1 manager + 2 registry hosts on one shared volume, Distribution 2.8.2 from Debian 12',
      repository: { tags: TAGS, layerKiB: LAYER_KIB, kept: KEEP, pushSeconds: pushMs / 1000 },
      prune: { seconds: prune.ms / 1000, prunedTags: prune.result.prunedTags },
      gc: {
        seconds: gc.ms / 1000,
        collector: { ...gc.result.collector, blobs: gc.result.collector?.blobs.length },
        bytesBefore: gc.result.bytesBefore,
        bytesAfter: gc.result.bytesAfter,
        bytesFreed: gc.result.bytesFreed,
        readOnlyWindowSeconds: gc.result.readOnlyMs / 1000,
        phases: {
          switchToReadOnly: phase('Switch every replica to read-only'),
          collect: phase('Collect garbage'),
          switchBack: phase('Switch every replica back to read-write'),
        },
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.error(`wrote ${writeResult('registry', result)}`);
  } finally {
    await sandboxDown(name, { logger });
    runLog.close();
  }
}

await main();
