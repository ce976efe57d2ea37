/**
 * `npm run bench -- --startup`: the CLI's own start, as a user's shell starts it (bin/run.js on
 * node_modules' Node, its own process): `eectl --version` and `eectl --help`, wall and CPU time, median
 * and worst of 15 runs each (3 at the smallest size, --smoke), against the goal of 0.3 s. CPU time
 * (from the process itself at exit) is what a busy machine does not inflate. Writes
 * bench/results/startup.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, smoke, writeResult } from './results.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = smoke ? 3 : 15;
const GOAL_SECONDS = 0.3;
const dir = mkdtempSync(join(tmpdir(), 'eectl-bench-startup-'));

/** One start: wall seconds, CPU seconds (the process's own, at exit) and its stdout. */
function start(args) {
  const usageFile = join(dir, 'usage.json');
  rmSync(usageFile, { force: true });
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(
      join(root, 'node_modules/.bin/node'),
      ['--import', join(root, 'bench/simulator/usage-preload.mjs'), join(root, 'bin/run.js'), ...args],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', EECTL_BENCH_USAGE: usageFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      if (code !== 0) return fail(new Error(`eectl ${args.join(' ')} exited ${code}`));
      const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      done({ wall, cpu: usage.cpuUs / 1e6, out });
    });
  });
}

const round = (x) => Math.round(x * 1000) / 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(args, expect) {
  const runs = [];
  const loadBefore = loadAverage()[0];
  await start(args); // the first start reads files from disk; the figures are of the ones after
  for (let i = 0; i < RUNS; i++) {
    const r = await start(args);
    if (!expect.test(r.out)) throw new Error(`eectl ${args.join(' ')} printed ${r.out.slice(0, 200)}`);
    runs.push(r);
  }
  const wall = median(runs.map((r) => r.wall));
  const figures = {
    runs: RUNS,
    medianWallSeconds: round(wall),
    worstWallSeconds: round(Math.max(...runs.map((r) => r.wall))),
    medianCpuSeconds: round(median(runs.map((r) => r.cpu))),
    goalSeconds: GOAL_SECONDS,
    goalMet: wall <= GOAL_SECONDS,
    loadAverage: [loadBefore, loadAverage()[0]],
  };
  console.error(
    `eectl ${args.join(' ')}: ${figures.medianWallSeconds} s wall (worst ${figures.worstWallSeconds}), ${figures.medianCpuSeconds} s CPU, load ${figures.loadAverage.join(' → ')}`,
  );
  return figures;
}

try {
  const result = {
    version: await measure(['--version'], /^eectl\/\d/),
    help: await measure(['--help'], /USAGE/),
  };
  console.error(`wrote ${writeResult('startup', result)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
