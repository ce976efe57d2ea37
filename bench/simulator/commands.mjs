import { Buffer } from 'node:buffer';
import { posix } from 'node:path';
import { expandExecScript, splitWords } from './shell-words.mjs';
import { LOCK_SCRIPTS } from '../../dist/lib/cluster/lock.js';
import { SWARM_JOIN_CURL } from '../../dist/lib/swarm/docker.js';
import { EECTL_TRACES, RECORD_PROBE_SCRIPT } from '../../dist/lib/host/install-record.js';
import { probeManagersArgv } from '../../dist/lib/phases/preflight.js';
import { moveIntoPlaceArgv, readFileArgv } from '../../dist/lib/ssh/file-transfer.js';
import { answerFacts } from './facts.mjs';
import { REPO_VERSIONS, SimSwarm } from './world.mjs';

/**
 * Answers one exec request of a simulated host from its state. Commands are matched as eectl builds them
 * (argv from quote.ts; known scripts by what they do); a command it does not know exits 127 and is
 * recorded, and the benchmark then refuses the run: a simulator that answers anything measures nothing.
 */
export function runCommand(host, world, line, stdin) {
  let argv;
  try {
    argv = splitWords(line);
  } catch (error) {
    return unknown(world, host, line, error.message);
  }
  try {
    return dispatch({ host, world, line, stdin: stdin.toString('utf8'), env: {} }, argv);
  } catch (error) {
    if (error instanceof Unknown) return unknown(world, host, line, error.message);
    return fail(`${error.message}\n`);
  }
}

class Unknown extends Error {}
const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
const fail = (stderr, code = 1) => ({ code, stdout: '', stderr });
function unknown(world, host, line, why) {
  world.unknown.push({ host: host.hostname, command: line.slice(0, 300), why });
  return fail(`simulator: unknown command (${why}): ${line.slice(0, 200)}\n`, 127);
}

function dispatch(c, argv) {
  if (argv[0] === 'sudo' && argv[1] === '-n') return dispatch(c, argv.slice(argv[2] === '--' ? 3 : 2));
  if (argv[0] === 'env') {
    let i = 1;
    while (argv[i]?.includes('=')) i++;
    return dispatch(c, argv.slice(i));
  }
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'sh':
      return shell(c, args);
    case 'docker':
      return docker(c, args);
    case 'apt-get':
      return aptGet(c, args);
    case 'apt-mark':
      return aptMark(c, argv);
    case 'apt-cache':
      return aptCache(c, args);
    case 'systemctl':
      return systemctl(c, args);
    case 'install':
      return installDirs(c, args);
    case 'mkdir':
      return mkdir(c, args);
    case 'rm':
      return rm(c, args);
    case 'chmod':
      return chmod(c, args);
    case 'curl':
      return curl(c, args);
    case 'dpkg-query':
      return dpkgQuery(c, args);
    case 'test':
      if (args[0] === '-d' && args.length === 2) return c.host.dirs.has(args[1]) ? ok() : fail('', 1);
      return unknownArgs(argv);
    default:
      return unknownArgs(argv);
  }
}

function unknownArgs(argv) {
  throw new Unknown(`no handler for ${argv.slice(0, 3).join(' ')}`);
}

// ---- sh: the facts script, and eectl's known scripts, each recognised by what it does ----------------

const ENV_WRAPPER = 'eval "$e"; unset e l; exec "$@"';

/**
 * eectl's scripts, matched exactly as its modules build them (imported from dist/): a script changed in
 * eectl is unknown here until the simulator learns it, and the benchmark then says so.
 */
const SCRIPTS = new Map([
  [probeManagersArgv([])[2], probeManagers],
  [LOCK_SCRIPTS.acquire, lockAcquire],
  [LOCK_SCRIPTS.heartbeat, (c, args) => lockIfOwner(c, args, (f) => (f.mtime = Date.now()))],
  [LOCK_SCRIPTS.release, (c, args) => lockIfOwner(c, args, (_f, dir) => removeTree(c.host, dir))],
  [RECORD_PROBE_SCRIPT, recordProbe],
  [moveIntoPlaceArgv('', '', '')[2], moveIntoPlace],
  [readFileArgv('')[2], (c, [path]) => readFile(c, path)],
]);

function shell(c, args) {
  if (args[0] === '-s' && args.length === 1) return factsScript(c);
  if (args[0] !== '-c') throw new Unknown(`sh ${args[0]}`);
  const [, script, , ...positional] = args;
  if (script.includes(ENV_WRAPPER)) return envWrapped(c, args.slice(2));
  if (script === 'id -un; id -u') return ok('root\n0\n');
  const known = SCRIPTS.get(script);
  if (known) return known(c, positional);
  const expanded = expandExecScript(script, positional, c.env);
  if (expanded) return dispatch(c, expanded);
  throw new Unknown('unrecognised sh -c script');
}

/** The env preamble (ssh/env-preamble.ts): `export NAME='value'` lines on stdin up to the marker. */
function envWrapped(c, rest) {
  const [marker, ...argv] = rest;
  const lines = c.stdin.split('\n');
  const end = lines.indexOf(marker);
  if (end < 0) throw new Unknown('env preamble without its end marker');
  const env = { ...c.env };
  for (const l of lines.slice(0, end)) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (!m) throw new Unknown(`env preamble line ${JSON.stringify(l.slice(0, 40))}`);
    [env[m[1]]] = splitWords(m[2]);
  }
  return dispatch({ ...c, env, stdin: lines.slice(end + 1).join('\n') }, argv);
}

/** The facts script (host/facts.ts): answered by ./facts.mjs, which refuses a fact it does not know. */
function factsScript(c) {
  const answer = answerFacts(c.host, c.stdin, swarmInfo);
  if (answer instanceof Error) throw new Unknown(answer.message);
  return ok(answer);
}

/** preflight's probe of 2377/tcp on each manager address, from this host. */
function probeManagers(c, addresses) {
  const lines = addresses.map((a) => {
    const target = c.world.byPrivate.get(a);
    if (!target) return `${a} unreachable`;
    const listens = target.listening().some((p) => p.endsWith(':2377'));
    return `${a} ${listens ? 'open' : 'refused'}`;
  });
  return ok(lines.map((l) => `${l}\n`).join(''));
}

/** The lock's acquire script (cluster/lock.ts): mkdir, or break a stale record by compare-and-swap. */
function lockAcquire(c, [dir, record, replace, oldRecord, minAge]) {
  const h = c.host;
  const f = h.files.get(`${dir}/owner`);
  if (h.dirs.has(dir)) {
    const age = f ? Math.round((Date.now() - f.mtime) / 1000) : 0;
    const current = f ? f.content.toString() : '';
    if (replace === '1' && current === oldRecord && age >= Number(minAge)) {
      writeFile(h, `${dir}/owner`, Buffer.from(record), 0o644);
      return ok('replaced\n');
    }
    return ok(`held ${age} ${current}\n`);
  }
  mkdirAll(h, dir);
  writeFile(h, `${dir}/owner`, Buffer.from(record), 0o644);
  return ok('acquired\n');
}

/** install-record.ts's probe, as root, with the record's path as $1 (the sections it prints, in order). */
function recordProbe(c, [recordPath]) {
  const h = c.host;
  const exists = (p) => h.files.has(p) || h.dirs.has(p);
  const b64 = (p) => h.files.get(p).content.toString('base64');
  const under = (dir) => [
    ...new Set(
      [...h.files.keys(), ...h.dirs]
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1).split('/')[0]),
    ),
  ];
  const out = [];
  if (h.files.has(recordPath)) out.push(`record ${b64(recordPath)}`);
  for (const p of EECTL_TRACES) if (exists(p)) out.push(`trace ${p}`);
  for (const e of under('/var/lib/eectl'))
    if (e !== 'lock' && e !== 'registry') out.push(`trace /var/lib/eectl/${e}`);
  if (h.packages.has('docker-ce')) out.push('group docker');
  const etc = under('/etc/docker');
  if (etc.length > 0) out.push('etcdocker', ...etc.map((e) => `etc ${e}`));
  if (h.files.has('/etc/docker/daemon.json')) out.push(`daemon ${b64('/etc/docker/daemon.json')}`);
  if (h.dirs.has('/etc/docker/certs.d')) out.push(...under('/etc/docker/certs.d').map((e) => `certsd ${e}`));
  return ok(out.map((l) => `${l}\n`).join(''));
}

/** `dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\t${Version}\n' PKG…` (the configurer's installed query). */
function dpkgQuery(c, args) {
  if (args[0] !== '-W' || args[1] !== '-f' || args[2] !== '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n')
    throw new Unknown(`dpkg-query ${args.slice(0, 3).join(' ')}`);
  const lines = args
    .slice(3)
    .filter((p) => c.host.packages.has(p))
    .map((p) => `${p}\t${c.host.holds.has(p) ? 'hi ' : 'ii '}\t${c.host.packages.get(p)}\n`);
  return { code: lines.length === args.length - 3 ? 0 : 1, stdout: lines.join(''), stderr: '' };
}

/** Heartbeat and release: only the holder (the same record) may act. */
function lockIfOwner(c, [dir, record], then) {
  const f = c.host.files.get(`${dir}/owner`);
  if (!f || f.content.toString() !== record) return ok('not-owner\n');
  then(f, dir);
  return ok('ok\n');
}

function moveIntoPlace(c, [temp, target, owner]) {
  const h = c.host;
  const f = h.files.get(temp);
  if (!f) return fail(`mv: cannot stat '${temp}': No such file or directory\n`);
  if (!h.dirs.has(posix.dirname(target))) {
    h.files.delete(temp);
    return fail(`mv: cannot move '${temp}' to '${target}': No such file or directory\n`);
  }
  if (owner && !/^\d+:\d+$|^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/.test(owner))
    throw new Unknown(`owner ${owner}`);
  h.files.delete(temp);
  h.files.set(target, { ...f, mtime: Date.now() });
  return ok();
}

function readFile(c, path) {
  const f = c.host.files.get(path);
  return f ? ok(f.content.toString('utf8')) : { code: 3, stdout: '', stderr: '' };
}

export function writeFile(host, path, content, mode) {
  host.files.set(path, { content, mode, mtime: Date.now() });
}

function removeTree(host, dir) {
  for (const p of [...host.files.keys()]) if (p === dir || p.startsWith(`${dir}/`)) host.files.delete(p);
  for (const d of [...host.dirs]) if (d === dir || d.startsWith(`${dir}/`)) host.dirs.delete(d);
}

// ---- files and directories -------------------------------------------------------------------------

function mkdirAll(host, dir) {
  for (let d = dir; d !== '/' && d !== '.'; d = posix.dirname(d)) host.dirs.add(d);
}

function mkdir(c, args) {
  const dirs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-p') continue;
    if (args[i] === '-m') i++;
    else if (args[i].startsWith('-')) throw new Unknown(`mkdir ${args[i]}`);
    else dirs.push(args[i]);
  }
  if (!args.includes('-p')) throw new Unknown('mkdir without -p');
  for (const d of dirs) mkdirAll(c.host, d);
  return ok();
}

/** `install -d [-m MODE] DIR…` (directories only: files arrive over SFTP). */
function installDirs(c, args) {
  if (!args.includes('-d')) throw new Unknown('install of a file');
  const dirs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-d') continue;
    if (args[i] === '-m') i++;
    else dirs.push(args[i]);
  }
  for (const d of dirs) mkdirAll(c.host, d);
  return ok();
}

function rm(c, args) {
  const paths = args.filter((a) => a !== '-f' && a !== '--');
  if (args.some((a) => a.startsWith('-') && a !== '-f' && a !== '--'))
    throw new Unknown(`rm ${args.join(' ')}`);
  for (const p of paths) c.host.files.delete(p);
  return ok();
}

function chmod(c, [mode, path]) {
  const f = c.host.files.get(path);
  if (!f) return fail(`chmod: cannot access '${path}': No such file or directory\n`);
  f.mode = parseInt(mode, 8);
  return ok();
}

/** `curl -fsSL --retry 3 -o FILE URL`: the download is simulated (no traffic leaves loopback). */
function curl(c, args) {
  if (args.at(-1) === 'http://localhost/swarm/join') {
    const want = SWARM_JOIN_ARGV.join(' ');
    if (args.join(' ') !== want) throw new Unknown('curl /swarm/join with other options');
    if (!c.host.packages.has('curl')) return fail('sh: 1: curl: not found\n', 127);
    return curlSwarmJoin(c);
  }
  const o = args.indexOf('-o');
  if (o < 0 || !args.at(-1).startsWith('https://')) throw new Unknown('curl without -o FILE URL');
  if (!c.host.packages.has('curl')) return fail('sh: 1: curl: not found\n', 127);
  writeFile(c.host, args[o + 1], Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----\nsimulated\n'), 0o600);
  return ok();
}

// ---- packages and services -------------------------------------------------------------------------

function aptGet(c, args) {
  const words = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-o') i++;
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  const [verb, ...pkgs] = words;
  if (verb === 'update') return ok('Reading package lists... Done\n');
  if (verb !== 'install') throw new Unknown(`apt-get ${verb}`);
  const h = c.host;
  for (const p of pkgs) {
    const [name, version] = p.split('=');
    if (version !== undefined && !REPO_VERSIONS.includes(version))
      return fail(`E: Version '${version}' for '${name}' was not found\n`, 100);
    if (name.startsWith('docker') && !hasDockerRepo(h))
      return fail(`E: Unable to locate package ${name}\n`, 100);
    h.packages.set(name, version ?? REPO_VERSIONS[0]);
  }
  // docker-ce depends on the CLI and containerd (apt pulls them in), and starts its daemon on install.
  if (pkgs.some((p) => p.startsWith('docker-ce='))) {
    if (!h.packages.has('docker-ce-cli')) h.packages.set('docker-ce-cli', h.packages.get('docker-ce'));
    if (!h.packages.has('containerd.io')) h.packages.set('containerd.io', '1.7.22-1');
    h.engine.enabled = true;
    h.startEngine();
  }
  return ok(`Setting up ${pkgs.join(', ')} ...\n`);
}

/** A one-line apt source for Docker's repository, signed by a key file that exists. */
function hasDockerRepo(h) {
  for (const [path, f] of h.files) {
    if (!path.startsWith('/etc/apt/sources.list.d/')) continue;
    const m =
      /^deb \[arch=amd64 signed-by=(\S+)\] https:\/\/download\.docker\.com\/linux\/debian bookworm stable$/m.exec(
        f.content.toString(),
      );
    if (m && h.files.has(m[1])) return true;
  }
  return false;
}

/** `apt-mark hold PKG…`: the facts' `@@holds` section reports it. */
function aptMark(c, argv) {
  if (argv[1] !== 'hold' || argv.length < 3) return unknownArgs(argv);
  for (const p of argv.slice(2)) {
    if (!c.host.packages.has(p)) return fail(`E: Unable to locate package ${p}\n`, 100);
    c.host.holds.add(p);
  }
  return ok(
    argv
      .slice(2)
      .map((p) => `${p} set on hold.\n`)
      .join(''),
  );
}

function aptCache(c, args) {
  if (args[0] !== 'madison') throw new Unknown(`apt-cache ${args[0]}`);
  if (!hasDockerRepo(c.host)) return ok();
  const lines = args
    .slice(1)
    .flatMap((pkg) =>
      REPO_VERSIONS.map(
        (v) => ` ${pkg} | ${v} | https://download.docker.com/linux/debian bookworm/stable amd64 Packages`,
      ),
    );
  return ok(`${lines.join('\n')}\n`);
}

function systemctl(c, args) {
  const h = c.host;
  const key = args.join(' ');
  if (key === 'daemon-reload' || key === 'reset-failed docker') return ok();
  if (key === 'enable --now docker' || key === 'restart docker' || key === 'start docker') {
    if (!h.packages.has('docker-ce'))
      return fail('Failed to start docker.service: Unit docker.service not found.\n', 5);
    h.engine.enabled ||= args[0] === 'enable';
    h.startEngine();
    return ok();
  }
  if (key === 'is-active docker')
    return h.engine.running ? ok('active\n') : { code: 3, stdout: 'inactive\n', stderr: '' };
  throw new Unknown(`systemctl ${key}`);
}

// ---- docker ----------------------------------------------------------------------------------------

function swarmInfo(h) {
  if (!h.member)
    return {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    };
  const { swarm, nodeId } = h.member;
  const manager = swarm.nodes.get(nodeId)?.role === 'manager';
  return {
    NodeID: nodeId,
    NodeAddr: h.privateAddress,
    LocalNodeState: 'active',
    ControlAvailable: manager,
    Error: '',
    RemoteManagers: swarm
      .managers()
      .map((m) => ({ NodeID: m.host.member.nodeId, Addr: `${m.host.privateAddress}:2377` })),
    ...(manager ? { Cluster: { ID: swarm.id } } : {}),
  };
}

/** A join of this host through `remote` (ADDR:2377) with `token`: undefined, or the engine's error. */
function joinSwarm(c, remote, token) {
  const h = c.host;
  if (h.member) return 'This node is already part of a swarm.';
  const contact = c.world.byPrivate.get(remote.replace(/:2377$/, ''));
  const swarm = contact?.member?.swarm;
  if (!swarm || swarm.nodes.get(contact.member.nodeId)?.role !== 'manager')
    return `rpc error: code = Unavailable desc = connection error to ${remote}`;
  const role =
    token === swarm.tokens.manager ? 'manager' : token === swarm.tokens.worker ? 'worker' : undefined;
  if (!role) return 'invalid join token';
  swarm.add(h, role);
  return undefined;
}

/** host/docker.ts's join: POST /swarm/join on the engine's socket, the body on stdin, the status last. */
const SWARM_JOIN_ARGV = SWARM_JOIN_CURL.slice(1);
function curlSwarmJoin(c) {
  const h = c.host;
  if (!h.engine.running)
    return fail(
      'curl: (7) Failed to connect to localhost port 80 after 0 ms: Could not connect to server\n',
      7,
    );
  let body;
  try {
    body = JSON.parse(c.stdin);
  } catch {
    return ok('{"message":"invalid JSON"}\n400\n');
  }
  if (body.AdvertiseAddr !== h.privateAddress || body.RemoteAddrs?.length !== 1)
    throw new Unknown(`swarm join body ${JSON.stringify({ ...body, JoinToken: '…' })}`);
  const error = joinSwarm(c, body.RemoteAddrs[0], body.JoinToken);
  return ok(error ? `${JSON.stringify({ message: error })}\n503\n` : '\n200\n');
}

function flagValues(args, names) {
  const values = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = eq > 0 && a.startsWith('--') ? a.slice(0, eq) : a;
    if (names.includes(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      (values[name] ??= []).push(v);
    } else rest.push(a);
  }
  return { values, rest };
}

function docker(c, args) {
  const h = c.host;
  if (!h.packages.has('docker-ce-cli')) return fail('sh: 1: docker: not found\n', 127);
  if (!h.engine.running)
    return fail(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    );
  const key = args.slice(0, 2).join(' ');
  if (args.join(' ') === 'version --format {{.Server.Version}}') return ok(`${h.engineVersion}\n`);
  if (args.join(' ') === 'info --format {{json .Swarm}}') return ok(`${JSON.stringify(swarmInfo(h))}\n`);
  const manager = () => {
    const m = h.member && h.member.swarm.nodes.get(h.member.nodeId);
    if (!m || m.role !== 'manager')
      throw new Error('Error response from daemon: This node is not a swarm manager.');
    return h.member.swarm;
  };
  switch (key) {
    case 'swarm init': {
      if (h.member) return fail('Error response from daemon: This node is already part of a swarm.\n');
      const { values, rest } = flagValues(args.slice(2), [
        '--advertise-addr',
        '--listen-addr',
        '--default-addr-pool',
        '--default-addr-pool-mask-length',
        '--data-path-port',
      ]);
      if (rest.length > 0) throw new Unknown(`swarm init ${rest.join(' ')}`);
      if (values['--advertise-addr']?.[0] !== h.privateAddress)
        return fail('Error: advertise address is not this host\n');
      new SimSwarm().add(h, 'manager');
      return ok(`Swarm initialized: current node (${h.member.nodeId}) is now a manager.\n`);
    }
    case 'swarm join-token': {
      if (args[2] !== '--quiet' || !['manager', 'worker'].includes(args[3]))
        throw new Unknown('join-token form');
      return ok(`${manager().tokens[args[3]]}\n`);
    }
    case 'swarm join': {
      const { values, rest } = flagValues(args.slice(2), ['--token', '--advertise-addr', '--listen-addr']);
      if (rest.length !== 1) throw new Unknown(`swarm join ${rest.join(' ')}`);
      const error = joinSwarm(c, rest[0], values['--token']?.[0]);
      return error ? fail(`Error response from daemon: ${error}\n`) : ok(`This node joined a swarm.\n`);
    }
    case 'node ls': {
      if (args.slice(2).join(' ') !== '--quiet') throw new Unknown(`node ls ${args.slice(2).join(' ')}`);
      return ok([...manager().nodes.keys()].map((id) => `${id}\n`).join(''));
    }
    case 'node inspect': {
      const swarm = manager();
      const ids = args.slice(2);
      const found = ids.map((id) => swarm.inspect(id));
      if (found.some((n) => !n)) return fail('Error response from daemon: node not found\n');
      return ok(`${JSON.stringify(found, null, 4)}\n`);
    }
    case 'node update': {
      const swarm = manager();
      const { values, rest } = flagValues(args.slice(2), ['--label-add', '--availability', '--role']);
      const node = rest.length === 1 && swarm.nodes.get(rest[0]);
      if (!node) return fail('Error response from daemon: node not found\n');
      for (const l of values['--label-add'] ?? []) {
        const eq = l.indexOf('=');
        node.labels[l.slice(0, eq)] = l.slice(eq + 1);
      }
      if (values['--availability']) node.availability = values['--availability'][0];
      if (values['--role']) node.role = values['--role'][0];
      return ok(`${rest[0]}\n`);
    }
    default:
      throw new Unknown(`docker ${key}`);
  }
}
