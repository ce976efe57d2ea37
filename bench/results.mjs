/**
 * What every benchmark shares: whether it runs at its smallest size (`npm run bench -- --smoke`, which CI
 * runs so no benchmark rots), where its result goes, and the machine's load average beside its figures,
 * so a reader can tell a busy machine from a slow eectl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** At its smallest size: a check that the benchmark still runs, not figures to compare. */
export const smoke = process.env.BENCH_SMOKE === '1';

/** bench/results, unless BENCH_RESULTS_DIR says otherwise (a smoke run writes elsewhere). */
export const resultsDir = resolve(process.env.BENCH_RESULTS_DIR ?? join(root, 'bench/results'));

/**
 * A sandbox's name: `bench-[RUN-]WHAT-PID`, RUN being EECTL_E2E_RUN when set (as CI sets it), so a
 * cleanup of `bench-RUN-` removes this run's leftovers and nobody else's.
 */
export const sandboxName = (what) =>
  ['bench', process.env.EECTL_E2E_RUN, what, process.pid.toString(36)].filter(Boolean).join('-');

/** The 1, 5 and 15-minute load averages now, two decimals. */
export const loadAverage = () => loadavg().map((x) => Math.round(x * 100) / 100);

const atStart = loadAverage();

/**
 * Writes RESULTS_DIR/NAME.json (or `path`): the figures, with the machine (cores, Node) and its load average when the
 * benchmark started and when it ended; returns the path.
 */
export function writeResult(name, figures, path = join(resultsDir, `${name}.json`)) {
  const result = {
    date: new Date().toISOString(),
    ...(smoke && { smoke: 'smallest size (npm run bench -- --smoke): a check that it runs, not figures' }),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.versions.node,
      loadAverage: { atStart, atEnd: loadAverage() },
    },
    ...figures,
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
