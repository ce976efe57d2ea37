import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chalk from 'chalk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import { renderInstallSummary } from '../../../src/lib/ui/install-summary.js';
import { RunLog, nullLogger } from '../../../src/lib/util/log.js';
import { HOSTS, ScriptedCluster } from '../../helpers/scripted-cluster.js';

// Golden tests of what `eectl install` prints without a terminal (CI logs, pipes: progress mode `plain`),
// over the scripted cluster (test/helpers/scripted-cluster.ts) with the real install, runner and renderers:
// stderr (the phase lines, and the warnings a run log prints) then stdout (the summary), as the command
// writes them. Only durations and temporary paths are normalised. The golden files are in ./golden;
// `UPDATE_GOLDEN=1 npx vitest run test/unit/actions/plain-output.test.ts` rewrites them after a change
// that is meant (read the diff before committing it).

const GOLDEN = new URL('./golden/', import.meta.url);

const home = process.env.EECTL_HOME;
let level: typeof chalk.level;
beforeAll(() => {
  level = chalk.level;
  chalk.level = 0;
});
beforeEach(() => {
  process.env.EECTL_HOME = mkdtempSync(join(tmpdir(), 'eectl-home-'));
});
afterAll(() => {
  chalk.level = level;
  if (home === undefined) delete process.env.EECTL_HOME;
  else process.env.EECTL_HOME = home;
});

/** The scripted cluster's file, with `engine.daemon` when given (a daemon.json change rolls through the nodes). */
async function config(daemon?: string) {
  const yaml = [
    'apiVersion: eectl/v1',
    'kind: Cluster',
    'metadata: { name: prod }',
    'spec:',
    `  engine: { version: "27.3"${daemon ? `, daemon: ${daemon}` : ''} }`,
    '  hosts:',
    ...HOSTS.map((h) => `    - { address: ${h.address}, role: ${h.role} }`),
    '',
  ].join('\n');
  const path = join(mkdtempSync(join(tmpdir(), 'eectl-scripted-')), 'cluster.yaml');
  writeFileSync(path, yaml);
  return (await ClusterFile.read(path, {})).config;
}

/** A cluster the real install converged, with `web` running a task on w1 and on m2 (their turns drain them). */
async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster();
  const options = {
    session: cluster.session(),
    log: nullLogger,
    concurrency: 8,
    progress: 'silent' as const,
  };
  await install({ ...options, config: await config(), dryRun: false });
  cluster.swarm.addService('web', ['w1', 'm2']);
  return cluster;
}

/** Runs install as the command does without a terminal, and returns what it printed (stderr, then stdout). */
async function plainInstall(cluster: ScriptedCluster, daemon?: string): Promise<string> {
  const runLog = new RunLog('warn');
  for (const h of cluster.hosts) h.conn.log = runLog.logger(h.address);
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await install({
      config: await config(daemon),
      session: cluster.session(),
      log: runLog.logger(),
      dryRun: false,
      concurrency: 8,
      progress: 'plain',
    });
    return `${stderr}${renderInstallSummary(result)}\n`;
  } finally {
    process.stderr.write = write;
  }
}

/** What varies from run to run: durations and temporary paths. */
const normalise = (text: string): string =>
  text
    .replace(/\b\d+\.\ds\b/g, 'N.Ns')
    .replace(/running for \d+s/g, 'running for Ns')
    .replaceAll(tmpdir(), '<tmp>');

function expectGolden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  expect(existsSync(file), `${name} is missing: run with UPDATE_GOLDEN=1 to write it`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** The shape the issue asks for, checked on its own so a golden file rewritten carelessly still fails. */
function expectOneLinePerPhase(text: string): void {
  const [progress, summary] = text.split(/\n(?=Cluster prod )/);
  const lines = progress!.trimEnd().split('\n');
  // One line per phase: a mark, the title once, then what it did.
  for (const line of lines) expect(line).toMatch(/^(✔ [^:()]+(: .+)? \(N\.Ns\)|↓ [^:]+: nothing to do)$/);
  const titles = lines.map((l) => l.slice(2).replace(/(: .*)? \(N\.Ns\)$|: nothing to do$/, ''));
  expect(new Set(titles).size).toBe(titles.length);
  // No raw package-manager lines, no repeated titles in brackets.
  expect(text).not.toMatch(/Setting up|Reading package lists|Unpacking|dpkg|\[SKIPPED|\[STARTED/);
  // A short Phases table: one row per phase that ran, none long.
  const table = summary!.slice(summary!.indexOf('Phases:\n')).split('\n');
  expect(table.length).toBeLessThan(lines.length + 4);
  for (const row of table) expect(row.length).toBeLessThanOrEqual(80);
}

describe('non-terminal output: one line per phase, with counts', () => {
  it('a converged install', async () => {
    const cluster = await installed();
    const text = normalise(await plainInstall(cluster));
    expectOneLinePerPhase(text);
    expectGolden('install-converged.txt', text);
  });

  it('a daemon.json change rolled through the nodes (drains, restarts, the leader last)', async () => {
    const cluster = await installed();
    const text = normalise(await plainInstall(cluster, '{ log-level: warn }'));
    expect(cluster.hosts.every((h) => h.restarts.length === 1)).toBe(true);
    expectOneLinePerPhase(text);
    expectGolden('install-daemon-roll.txt', text);
  });
});
