/**
 * `npm run bench`: every benchmark, one after the other, each in its own process (so one's memory and
 * CPU never count in another's); `npm run bench -- --scale` (or --startup, --install, --upgrade, --backup,
 * --access, --dashboard, --identity, --ingress, --registry, several allowed) runs only those. Other arguments go to
 * each chosen benchmark, e.g.
 * `npm run bench -- --scale --sizes 5,50`. Each writes bench/results/NAME.json; the exit code is the
 * first failure's. The sandbox benchmarks need root and a Docker engine, like the e2e tests.
 *
 * `npm run bench -- --smoke`: every benchmark (or the ones named) at its smallest size, results in a
 * temporary folder (bench/results keeps the full-size figures; BENCH_RESULTS_DIR to keep them): CI runs
 * it so that a benchmark that no longer runs fails the build. A benchmark adds itself to BENCHES below
 * and reads `smoke` from ./results.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BENCHES = [
  'startup',
  'install',
  'upgrade',
  'backup',
  'access',
  'dashboard',
  'scale',
  'identity',
  'ingress',
  'registry',
];
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const named = BENCHES.filter((b) => args.includes(`--${b}`));
const rest = args.filter((a) => a !== '--smoke' && !BENCHES.some((b) => a === `--${b}`));
const chosen = named.length > 0 ? named : BENCHES;
const env = smoke
  ? {
      ...process.env,
      BENCH_SMOKE: '1',
      BENCH_RESULTS_DIR: process.env.BENCH_RESULTS_DIR ?? mkdtempSync(join(tmpdir(), 'eectl-bench-smoke-')),
    }
  : process.env;

let status = 0;
const summary = [];
for (const name of chosen) {
  process.stdout.write(`\n=== bench ${name}${smoke ? ' (smallest size)' : ''}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...rest], { stdio: 'inherit', env });
  const code = r.status ?? 1;
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(`=== bench ${name}: exit ${code} after ${seconds} s\n`);
  summary.push(`${name.padEnd(10)} exit ${code}  ${seconds} s`);
  if (code !== 0 && status === 0) status = code;
}
process.stdout.write(`\n${summary.join('\n')}\n`);
if (smoke) process.stdout.write(`results in ${env.BENCH_RESULTS_DIR}\n`);
process.exit(status);
