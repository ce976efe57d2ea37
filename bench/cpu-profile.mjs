/**
 * `node bench/cpu-profile.mjs FILE.cpuprofile [N]`: where an eectl process's CPU time went, from a V8 CPU
 * profile (`npm run bench -- --scale --node-args "--cpu-prof --cpu-prof-dir=DIR"`): self time by module
 * (eectl's own files one by one, libraries by package, Node's internals by area) and the N heaviest
 * functions, so a profile reads as "handshakes, host-key checks, JSON parsing, the renderer …".
 */
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpu-profile.mjs FILE.cpuprofile [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** A module's name for grouping: eectl's file, a package, or a Node area. */
function area(url, fn) {
  if (!url) return fn.startsWith('(') ? fn : `(${fn || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist\/(.+)$/.exec(url) ?? /\/bin\/(.+)$/.exec(url);
  if (own) return own[1];
  return url
    .replace(/^node:internal\//, 'node:')
    .split('/')
    .slice(0, 2)
    .join('/');
}

const byArea = new Map();
const byFunction = new Map();
let total = 0;
for (const [id, us] of self) {
  const { callFrame: f } = nodes.get(id);
  total += us;
  const a = area(f.url, f.functionName);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${f.functionName || '(anonymous)'} ${a}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const idle = byArea.get('(idle)') ?? 0;
const ms = (us) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
const pct = (us) => `${((100 * us) / (total - idle)).toFixed(1).padStart(5)} %`;
console.log(`${ms(total)} sampled, ${ms(idle).trim()} idle, ${ms(total - idle).trim()} busy\n`);
console.log('busy time by module:');
for (const [a, us] of [...byArea]
  .filter(([a]) => a !== '(idle)')
  .sort((x, y) => y[1] - x[1])
  .slice(0, Number(top)))
  console.log(`${ms(us)} ${pct(us)}  ${a}`);
console.log('\nheaviest functions (self time):');
for (const [k, us] of [...byFunction]
  .filter(([k]) => !k.includes('(idle)'))
  .sort((x, y) => y[1] - x[1])
  .slice(0, Number(top)))
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
