/**
 * `npm run bench:access` (or `npm run bench -- --access`): the latency the authorization plugin adds to
 * an engine API call, measured on the plugin itself: for each call the engine makes the two requests it
 * makes per API call (/AuthZPlugin.AuthZReq, then /AuthZPlugin.AuthZRes) over a unix socket, with a real
 * client certificate from a cluster CA, the policy read from a file, and an audit line per decision.
 * Look-ups are answered in-process (the engine's own inspect time is not counted). A restrictedControl
 * user on /Shared/team (through a team) sends:
 *   - `GET /info` (1,000), and the minimal service create of the earlier runs, now pinned to the team's
 *     workers as the allow-list requires (`serviceCreate`);
 *   - a service create as the docker CLI sends it (`serviceCreateCli`): labels, a digest image, args, env,
 *     a volume and a tmpfs mount, a secret, a config, a health check, resources, restart policy,
 *     placement constraints and platforms, a network, the json-file log driver, replicated mode, update
 *     and rollback configs, a host-mode port;
 *   - `docker service update` of that service (the whole spec again, `?version=N`), and
 *     `docker service rollback` (`?rollback=previous`: the previous spec read from the engine is judged).
 * Each decision must be an allow. Requests of the kinds are interleaved round by round, so a burst of
 * load on the machine falls on all of them alike; the load average is recorded with the figures. Next to
 * the wall-clock latency, `cpu` is the process's CPU time per call: client and plugin, all threads (V8's
 * GC helpers too, so it can exceed the wall time), an upper bound of the work a call costs that waiting
 * for a busy CPU does not inflate.
 *
 * `--baseline DIR` measures the same requests on another build too (DIR holds its dist/), in the same
 * rounds, and records it under `baseline`: e.g. the plugin before the allow-list,
 *   mkdir /tmp/before && git archive c0130a1 src package.json tsconfig.json tsconfig.build.json |
 *   tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/ && (cd /tmp/before && npx tsc -p tsconfig.build.json)
 * (that plugin refuses nothing here either, but it checks less: its refusals are counted, not fatal).
 * `--rounds N` (default 1,000; 50 at the smallest size, --smoke). Writes bench/results/access.json.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { servePlugin } from '../dist/lib/access/plugin.js';
import { createCa, issueClientCert } from '../dist/lib/pki/certificates.js';
import { smoke, writeResult } from './results.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const ROUNDS = Number(option('rounds') ?? (smoke ? 50 : 1000));
const WARM_UP = smoke ? 20 : 200;
const baselineDir = option('baseline');

/** What was recorded before the allow-list (bench/results/access.json at c0130a1), for the table. */
const RECORDED_BEFORE = {
  commit: 'c0130a1',
  date: '2026-12-01T21:17:04.097Z',
  getInfo: { count: 1000, p50Ms: 0.758, p99Ms: 37.381, maxMs: 81.768 },
  serviceCreate: { count: 100, p50Ms: 0.844, p99Ms: 21.631, maxMs: 21.631 },
  loadAverage: 'not recorded',
};

const TEAM = '/Shared/team';
const LABELS = { 'eectl.collection': TEAM };
const CONSTRAINTS = ['node.role==worker', `node.labels.eectl.collection==${TEAM}`];
const DIGEST = 'sha256:0d2a5e8f1b7c6d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e';

/** The minimal spec of the earlier runs, with the placement every non-admin service now needs. */
const minimalSpec = {
  Name: 'web',
  Labels: LABELS,
  TaskTemplate: {
    ContainerSpec: { Image: 'app:1' },
    Networks: [{ Target: 'net' }],
    Placement: { Constraints: CONSTRAINTS },
  },
};

/** `docker service create` with the options a team uses, as the CLI sends it (omitempty fields left out). */
const cliSpec = (image, replicas) => ({
  Name: 'web',
  Labels: { ...LABELS, 'com.example.owner': 'team' },
  TaskTemplate: {
    ContainerSpec: {
      Image: image,
      Labels: { 'com.example.tier': 'frontend' },
      Args: ['serve', '--port', '8080'],
      Env: ['MODE=prod', 'LOG_LEVEL=info'],
      Mounts: [
        { Type: 'volume', Source: 'web-data', Target: '/data', VolumeOptions: { DriverConfig: {} } },
        { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 67108864 } },
      ],
      Healthcheck: {
        Test: ['CMD-SHELL', 'wget -qO- http://localhost:8080/health || exit 1'],
        Interval: 10000000000,
        Timeout: 3000000000,
        Retries: 3,
      },
      DNSConfig: {},
      Secrets: [
        {
          File: { Name: 'db-password', UID: '0', GID: '0', Mode: 292 },
          SecretID: 'k3v9a1secretid',
          SecretName: 'db-password',
        },
      ],
      Configs: [
        {
          File: { Name: '/etc/web/app.conf', UID: '0', GID: '0', Mode: 292 },
          ConfigID: 'p2m7c4configid',
          ConfigName: 'web-conf',
        },
      ],
    },
    Resources: {
      Limits: { NanoCPUs: 500000000, MemoryBytes: 268435456 },
      Reservations: { NanoCPUs: 100000000, MemoryBytes: 67108864 },
    },
    RestartPolicy: { Condition: 'on-failure', Delay: 5000000000, MaxAttempts: 3 },
    Placement: {
      Constraints: CONSTRAINTS,
      Platforms: [{ Architecture: 'amd64', OS: 'linux' }],
    },
    Networks: [{ Target: 'team-net', Aliases: ['web'] }],
    LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
    ForceUpdate: 0,
  },
  Mode: { Replicated: { Replicas: replicas } },
  UpdateConfig: {
    Parallelism: 1,
    Delay: 10000000000,
    FailureAction: 'rollback',
    Monitor: 5000000000,
    MaxFailureRatio: 0,
    Order: 'start-first',
  },
  RollbackConfig: {
    Parallelism: 1,
    FailureAction: 'pause',
    Monitor: 5000000000,
    MaxFailureRatio: 0,
    Order: 'stop-first',
  },
  EndpointSpec: {
    Mode: 'vip',
    Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'host' }],
  },
});
const createSpec = cliSpec(`registry.example:5000/team/web@${DIGEST}`, 3);
const updatedSpec = cliSpec(`registry.example:5000/team/web@${DIGEST.replace('0d2a', '1e3b')}`, 4);

/** The engine's objects as inspect returns them: the team's network, secret, config and service. */
const lookup = {
  inspect: async (kind, id) => {
    switch (kind) {
      case 'network':
        return { Name: id, Id: `${id}-id`, Driver: 'overlay', Scope: 'swarm', Labels: LABELS };
      case 'secret':
      case 'config':
        return { ID: id, Version: { Index: 3 }, Spec: { Name: id, Labels: LABELS } };
      case 'service':
        return id === 'web'
          ? { ID: 'web', Version: { Index: 12 }, Spec: updatedSpec, PreviousSpec: createSpec }
          : undefined;
      default:
        return undefined;
    }
  },
};

const KINDS = [
  { name: 'getInfo', method: 'GET', uri: '/v1.41/info' },
  { name: 'serviceCreate', method: 'POST', uri: '/v1.41/services/create', body: minimalSpec },
  { name: 'serviceCreateCli', method: 'POST', uri: '/v1.41/services/create', body: createSpec },
  { name: 'serviceUpdate', method: 'POST', uri: '/v1.41/services/web/update?version=12', body: updatedSpec },
  {
    name: 'serviceRollback',
    method: 'POST',
    uri: '/v1.41/services/web/update?version=13&rollback=previous',
    body: updatedSpec,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'eectl-bench-access-'));
const ca = await createCa('bench');
const dev = await issueClientCert(ca, 'dev');
writeFileSync(join(dir, 'ca.pem'), ca.certPem);
writeFileSync(
  join(dir, 'policy.json'),
  JSON.stringify({
    version: 1,
    cluster: 'bench',
    users: [{ name: 'dev', admin: false, defaultCollection: '/Shared/Private/dev' }],
    teams: [{ name: 'team', members: ['dev'] }],
    grants: [{ team: 'team', role: 'restrictedControl', collection: TEAM }],
    revoked: [],
  }),
);
const peer = [Buffer.from(dev.certPem).toString('base64')];

/** One plugin build on its own socket, with a client to it. */
async function start(name, serve) {
  const socket = join(dir, `${name}.sock`);
  let audit = 0;
  const plugin = await serve({
    socket,
    policyFile: join(dir, 'policy.json'),
    caFile: join(dir, 'ca.pem'),
    lookup,
    log: () => audit++,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const post = (path, body) =>
    new Promise((resolveAnswer, reject) => {
      const text = JSON.stringify(body);
      const req = request(
        {
          socketPath: socket,
          path,
          method: 'POST',
          agent,
          headers: { 'Content-Length': Buffer.byteLength(text) },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolveAnswer(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  return {
    name,
    post,
    times: Object.fromEntries(KINDS.map((k) => [k.name, []])),
    cpu: Object.fromEntries(KINDS.map((k) => [k.name, []])),
    refused: Object.fromEntries(KINDS.map((k) => [k.name, 0])),
    reasons: {},
    audit: () => audit,
    close: async () => {
      await plugin.close();
      agent.destroy();
    },
  };
}

/** One API call as the engine makes it: the request, then the response. */
async function call(target, kind) {
  const req = {
    User: 'dev',
    UserAuthNMethod: 'TLS',
    RequestMethod: kind.method,
    RequestUri: kind.uri,
    RequestPeerCertificates: peer,
    ...(kind.body && { RequestBody: Buffer.from(JSON.stringify(kind.body)).toString('base64') }),
  };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const answer = await target.post('/AuthZPlugin.AuthZReq', req);
  await target.post('/AuthZPlugin.AuthZRes', { ...req, ResponseStatusCode: 200 });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  target.cpu[kind.name].push((cpu.user + cpu.system) / 1000);
  if (!answer.Allow) {
    target.refused[kind.name]++;
    target.reasons[kind.name] = answer.Msg;
  }
  return ms;
}

const targets = [await start('allow-list', servePlugin)];
if (baselineDir) {
  const url = (p) => pathToFileURL(resolve(baselineDir, 'dist', p)).href;
  const { servePlugin: serveBaseline } = await import(url('lib/access/plugin.js'));
  targets.push(await start('baseline', serveBaseline));
}

// Warm-up (JIT, certificate parsing), not counted.
for (let i = 0; i < WARM_UP; i++) for (const t of targets) for (const k of KINDS) await call(t, k);
for (const t of targets) {
  for (const k of KINDS) {
    t.refused[k.name] = 0;
    t.cpu[k.name] = [];
  }
}

const loadBefore = loadavg();
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const t of targets) for (const k of KINDS) t.times[k.name].push(await call(t, k));
}
const seconds = (Date.now() - started) / 1000;
const loadAfter = loadavg();

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3));
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Number(sorted.at(-1).toFixed(3)) };
}
const figures = (t) =>
  Object.fromEntries(
    KINDS.map((k) => [
      k.name,
      {
        ...summary(t.times[k.name]),
        cpu: (({ p50Ms, p99Ms }) => ({ p50Ms, p99Ms }))(summary(t.cpu[k.name])),
        ...(t.refused[k.name] > 0 && { refused: t.refused[k.name], reason: t.reasons[k.name] }),
      },
    ]),
  );

const [main, baseline] = targets;
const auditLines = main.audit();
for (const t of targets) await t.close();
rmSync(dir, { recursive: true, force: true });

const mainRefused = KINDS.filter((k) => main.refused[k.name] > 0);
if (mainRefused.length > 0) {
  for (const k of mainRefused) console.error(`refused ${k.name}: ${main.reasons[k.name]}`);
  process.exit(1);
}

const round2 = (xs) => xs.map((x) => Number(x.toFixed(2)));
const result = {
  what: 'added latency per engine API call: AuthZReq + AuthZRes round trips to the plugin on a unix socket',
  loadAverageDuringRounds: { before: round2(loadBefore), after: round2(loadAfter) },
  rounds: ROUNDS,
  seconds: Number(seconds.toFixed(1)),
  ...figures(main),
  auditLines,
  ...(baseline && { baseline: { build: resolve(baselineDir), ...figures(baseline) } }),
  recordedBefore: RECORDED_BEFORE,
};
console.log(JSON.stringify(result, null, 2));
console.error(`wrote ${writeResult('access', result)}`);
