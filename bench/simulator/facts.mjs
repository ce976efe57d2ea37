/**
 * The simulator's answer to the facts script (src/lib/host/facts.ts). What to answer is read from the
 * script itself: the keys it prints, its `@@` sections in order, the packages it asks dpkg about and the
 * files it reads. Each key and section needs an answer below; one without (a fact added to the script)
 * is refused with its name, so the change fails test/unit/bench/simulator-facts.test.ts in `npm test`,
 * and the benchmark, instead of being answered with a guess.
 */
import { OS_RELEASE } from './world.mjs';

/** `key=value` lines of the script's first part: each from the host's state. */
const KEYS = {
  hostname: (h) => h.hostname,
  kernel: () => '6.1.0-28-amd64',
  machine: () => 'x86_64',
  time: () => String(Math.round(Date.now() / 1000)),
  user: () => 'root',
  uid: () => '0',
  sudo: () => '1',
  curl: (h) => (h.packages.has('curl') ? '1' : '0'),
  cpus: () => '4',
  mem_kb: () => '8000000',
  disk_free_kb: () => '50000000',
  init: () => 'systemd',
  pm: () => 'apt',
  route_src: (h) => h.privateAddress,
};

/** Keys of the `@@engine` section, printed only where the docker CLI is installed. */
const ENGINE_KEYS = {
  active: (h) => (h.engine.running ? 'active' : 'inactive'),
  server: (h) => (h.engine.running ? h.engineVersion : ''),
  swarm: (h, swarmInfo) => (h.engine.running ? JSON.stringify(swarmInfo(h)) : ''),
};

/** Lines of each `@@` section (the engine section's are its keys; files come before `@@end`). */
const SECTIONS = {
  addresses: (h) => [`eth0 ${h.privateAddress}/16`],
  listening: (h) => h.listening(),
  'os-release': () => [OS_RELEASE],
  packages: (h, shape) =>
    shape.packages.filter((p) => h.packages.has(p)).map((p) => `${p} ${h.packages.get(p)}`),
  holds: (h, shape) =>
    shape.held.filter((p) => h.packages.has(p)).map((p) => `${p} ${h.holds.has(p) ? 'held' : 'free'}`),
  engine: () => [],
  end: () => [],
};

/**
 * The shape of a facts script: its keys (in order, once each; `engine` those after `@@engine`), its
 * sections in order, the packages of its `@@packages` and `@@holds` queries, and MANAGED_FILES.
 */
export function factsScriptShape(script) {
  const sections = [...script.matchAll(/echo "@@([a-z-]+)"/g)].map((m) => m[1]);
  const engineAt = script.indexOf('echo "@@engine"');
  const keys = [];
  const engineKeys = [];
  for (const m of script.matchAll(/(?:printf '%s\\n' "|echo ")([a-z_]+)=/g)) {
    const list = engineAt >= 0 && m.index > engineAt ? engineKeys : keys;
    if (!list.includes(m[1])) list.push(m[1]);
  }
  const dpkg = [...script.matchAll(/dpkg-query -W -f='[^']*' ([^\n]*?) 2>\/dev\/null/g)].map((m) =>
    m[1].split(/\s+/).filter(Boolean),
  );
  const managed = /^MANAGED_FILES="([^"]*)"$/m.exec(script);
  return {
    keys,
    engineKeys,
    sections,
    packages: dpkg[0] ?? [],
    held: dpkg[1] ?? [],
    managedFiles: managed ? managed[1].split(' ').filter(Boolean) : undefined,
  };
}

/** What the script asks that the simulator has no answer for: empty when it can answer it all. */
export function unansweredFacts(shape) {
  const problems = [
    ...shape.keys.filter((k) => !(k in KEYS)).map((k) => `key ${k}`),
    ...shape.engineKeys.filter((k) => !(k in ENGINE_KEYS)).map((k) => `engine key ${k}`),
    ...shape.sections.filter((s) => !(s in SECTIONS)).map((s) => `section @@${s}`),
  ];
  if (shape.keys.length === 0) problems.push('no keys');
  if (!shape.sections.includes('end')) problems.push('no @@end');
  if (shape.packages.length === 0 || shape.held.length === 0) problems.push('no dpkg-query of packages');
  if (!shape.managedFiles) problems.push('no MANAGED_FILES');
  return problems;
}

/**
 * The facts script's output for host `h`, or an Error naming what the simulator cannot answer.
 * `swarmInfo(h)` is `docker info --format '{{json .Swarm}}'` as the simulated engine says it.
 */
export function answerFacts(h, script, swarmInfo) {
  const shape = factsScriptShape(script);
  const problems = unansweredFacts(shape);
  if (problems.length > 0)
    return new Error(`facts script the simulator does not know (${problems.join('; ')})`);
  const out = shape.keys.map((k) => `${k}=${KEYS[k](h)}`);
  for (const s of shape.sections) {
    if (s === 'end') {
      for (const pattern of shape.managedFiles) {
        for (const [path, f] of h.files) {
          if (globMatches(pattern, path)) out.push(`@@file ${path}`, f.content.toString('base64'));
        }
      }
    }
    out.push(`@@${s}`, ...SECTIONS[s](h, shape));
    if (s === 'engine' && h.packages.has('docker-ce-cli')) {
      out.push(...shape.engineKeys.map((k) => `${k}=${ENGINE_KEYS[k](h, swarmInfo)}`));
    }
  }
  return `${out.join('\n')}\n`;
}

function globMatches(pattern, path) {
  if (!/[*?]/.test(pattern)) return pattern === path;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(path);
}
