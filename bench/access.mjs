/**
 * `npm run bench:access`: the latency the authorization plugin adds to an engine API call, measured on
 * the plugin itself: for each call the engine makes the two requests it makes per API call
 * (/AuthZPlugin.AuthZReq, then /AuthZPlugin.AuthZRes) over a unix socket, with a real client certificate
 * from a cluster CA, the policy read from a file, and an audit line per decision. 1,000 `GET /info` and
 * 100 `POST /services/create` (a restrictedControl user, a body with a network to look up; look-ups
 * answered in-process, so the engine's own inspect time is not counted). Writes bench/results/access.json.
 */
import { Buffer } from 'node:buffer';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URL } from 'node:url';
import { servePlugin } from '../dist/lib/access/plugin.js';
import { createCa, issueClientCert } from '../dist/lib/pki/certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'eectl-bench-access-'));
const socket = join(dir, 'authz.sock');
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
    grants: [{ team: 'team', role: 'restrictedControl', collection: '/Shared/team' }],
    revoked: [],
  }),
);
let audit = 0;
const plugin = await servePlugin({
  socket,
  policyFile: join(dir, 'policy.json'),
  caFile: join(dir, 'ca.pem'),
  lookup: {
    inspect: async () => ({ Name: 'net', Driver: 'overlay', Labels: { 'eectl.collection': '/Shared/team' } }),
  },
  log: () => audit++,
});
const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 4 });

const post = (path, body) =>
  new Promise((resolve, reject) => {
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
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end(text);
  });

const peer = [Buffer.from(dev.certPem).toString('base64')];
const spec = {
  Name: 'web',
  Labels: { 'eectl.collection': '/Shared/team' },
  TaskTemplate: { ContainerSpec: { Image: 'app:1' }, Networks: [{ Target: 'net' }] },
};

async function measure(count, method, uri, body) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const req = {
      User: 'dev',
      UserAuthNMethod: 'TLS',
      RequestMethod: method,
      RequestUri: uri,
      RequestPeerCertificates: peer,
      ...(body && { RequestBody: Buffer.from(JSON.stringify(body)).toString('base64') }),
    };
    const start = performance.now();
    const answer = await post('/AuthZPlugin.AuthZReq', req);
    await post('/AuthZPlugin.AuthZRes', { ...req, ResponseStatusCode: 200 });
    times.push(performance.now() - start);
    if (!answer.Allow) throw new Error(`refused: ${answer.Msg}`);
  }
  times.sort((a, b) => a - b);
  const at = (q) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(3));
  return { count, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Number(times.at(-1).toFixed(3)) };
}

await measure(200, 'GET', '/v1.41/info'); // warm-up (JIT, certificate parsing)
const info = await measure(1000, 'GET', '/v1.41/info');
const create = await measure(100, 'POST', '/v1.41/services/create', spec);
await plugin.close();
agent.destroy();
rmSync(dir, { recursive: true, force: true });

const result = {
  date: new Date().toISOString(),
  node: process.version,
  what: 'added latency per engine API call: AuthZReq + AuthZRes round trips to the plugin on a unix socket',
  getInfo: info,
  serviceCreate: create,
  auditLines: audit,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/access.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
