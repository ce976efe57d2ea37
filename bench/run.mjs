/**
 * `npm run bench`: every benchmark, one after the other, each in its own process (so one's memory and
 * CPU never count in another's); `npm run bench -- --scale` (or --install, --upgrade, --backup, --access,
 * --dashboard, --ingress, several allowed) runs only those. Other arguments go to each chosen benchmark, e.g.
 * `npm run bench -- --scale --sizes 5,50`. Each writes bench/results/NAME.json; the exit code is the
 * first failure's. The sandbox benchmarks need root and a Docker engine, like the e2e tests.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BENCHES = ['install', 'upgrade', 'backup', 'access', 'dashboard', 'scale', 'ingress'];
const args = process.argv.slice(2);
const named = BENCHES.filter((b) => args.includes(`--${b}`));
const rest = args.filter((a) => !BENCHES.some((b) => a === `--${b}`));
const chosen = named.length > 0 ? named : BENCHES;

let status = 0;
for (const name of chosen) {
  process.stdout.write(`\n=== bench ${name}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...rest], { stdio: 'inherit' });
  const code = r.status ?? 1;
  process.stdout.write(
    `=== bench ${name}: exit ${code} after ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  if (code !== 0 && status === 0) status = code;
}
process.exit(status);
