/**
 * Token issue latency of the registry's token service (part of `npm run bench -- --identity`): the
 * built service (dist/) over HTTPS on loopback with its real files (a cluster CA, the manager's
 * certificate, the token-signing key, the policy, the logins file), asked as docker asks
 * (`GET /token?service=…&scope=repository:web/app:pull,push`, HTTP basic auth, one keep-alive
 * connection), for:
 *   - a file user: a bcrypt hash (cost 10, what eectl's htpasswd and bcryptjs use) checked per request;
 *   - a directory user: an LDAP simple bind as the user's DN to a real OpenLDAP slapd over ldaps://
 *     (test/helpers/slapd.ts), a new TLS connection per login, as the service does.
 * Requests alternate between the two, so a burst of load on the machine falls on both alike.
 *
 * `identityTokens({ rounds })` returns the results; run alone (`node bench/identity-tokens.mjs
 * [--rounds N]`, default 200) it prints them and writes bench/results/identity-tokens.json.
 * Needs `npm run build` first (it runs dist/) and Debian's slapd.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { register } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// test/helpers/slapd.ts imports src/lib/…/*.js: run the built dist/lib modules in their place (Node 22
// strips the helper's types itself).
const root = fileURLToPath(new URL('..', import.meta.url));
register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      const parent = context.parentURL ?? '';
      if (parent.includes('/test/helpers/') && specifier.includes('/src/lib/')) {
        return next(new URL(specifier, parent).href.replace('/src/lib/', '/dist/lib/'), context);
      }
      return next(specifier, context);
    }`)}`,
  pathToFileURL(root),
);

const SERVICE = 'eectl-bench-registry';
const ISSUER = 'eectl-bench-token-service';

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summary = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    medianMs: Number(percentile(sorted, 50).toFixed(2)),
    p99Ms: Number(percentile(sorted, 99).toFixed(2)),
    maxMs: Number(sorted.at(-1).toFixed(2)),
  };
};

/** Runs the measurement; returns its results object. */
export async function identityTokens(options = {}) {
  const rounds = options.rounds ?? 200;
  const { serveTokens, FailureLimiter } = await import('../dist/lib/access/token-service.js');
  const { createCa, issueServerCert, issueTokenSigningCert } =
    await import('../dist/lib/pki/certificates.js');
  const { startSlapd } = await import('../test/helpers/slapd.ts');
  const { default: bcrypt } = await import('bcryptjs');
  const dir = mkdtempSync(join(tmpdir(), 'eectl-bench-tokens-'));
  const slapd = await startSlapd({ users: [{ uid: 'alice', password: 'alice-pw' }] });
  let service;
  try {
    const ca = await createCa('bench');
    const server = await issueServerCert(ca, {
      commonName: '127.0.0.1',
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
    });
    const signing = await issueTokenSigningCert(ca, 'bench');
    const policy = {
      version: 1,
      cluster: 'bench',
      users: [
        { name: 'dev', admin: false, defaultCollection: '/Shared/web', source: 'file' },
        {
          name: 'alice',
          admin: false,
          defaultCollection: '/Shared/web',
          source: 'ldap',
          dn: slapd.userDn('alice'),
        },
      ],
      teams: [{ name: 'web', members: ['dev', 'alice'] }],
      grants: [{ team: 'web', role: 'restrictedControl', collection: '/Shared/web' }],
      revoked: [],
      registry: {
        service: SERVICE,
        issuer: ISSUER,
        expirySeconds: 300,
        namespaces: [{ name: 'web', collection: '/Shared/web', public: false }],
      },
      directory: {
        url: slapd.ldapsUrl,
        startTLS: false,
        insecure: false,
        caPem: slapd.caPem,
        timeoutSeconds: 5,
      },
    };
    const files = {
      'ca.pem': ca.certPem,
      'server-cert.pem': server.certPem,
      'server-key.pem': server.keyPem,
      'token-key.pem': signing.keyPem,
      'policy.json': JSON.stringify(policy),
      'logins.json': JSON.stringify({ users: { dev: await bcrypt.hash('dev-pw', 10) } }),
    };
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(dir, name), content, { mode: 0o600 });
    service = await serveTokens({
      port: 0,
      host: '127.0.0.1',
      policyFile: join(dir, 'policy.json'),
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'server-cert.pem'),
      keyFile: join(dir, 'server-key.pem'),
      signingKeyFile: join(dir, 'token-key.pem'),
      loginsFile: join(dir, 'logins.json'),
      log: () => undefined,
      limiter: new FailureLimiter(),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: [ca.certPem] });
    const url = `https://127.0.0.1:${service.port}/token?service=${SERVICE}&scope=repository%3Aweb%2Fapp%3Apull%2Cpush`;
    const ask = (user, password) =>
      new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = request(
          url,
          {
            agent,
            timeout: 10_000,
            headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode !== 200) return reject(new Error(`${user}: HTTP ${res.statusCode}`));
              resolve(Number(process.hrtime.bigint() - started) / 1e6);
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    await ask('dev', 'dev-pw');
    await ask('alice', 'alice-pw');
    const file = [];
    const ldap = [];
    const load = [loadavg()[0]];
    for (let i = 0; i < rounds; i++) {
      file.push(await ask('dev', 'dev-pw'));
      ldap.push(await ask('alice', 'alice-pw'));
    }
    load.push(loadavg()[0]);
    agent.destroy();
    return {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg1: load },
      bcryptCost: 10,
      fileUser: summary(file),
      ldapUser: { ...summary(ldap), directory: 'OpenLDAP slapd (Debian) over ldaps:// on loopback' },
    };
  } finally {
    await service?.close();
    await slapd.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--rounds');
  const results = await identityTokens({ rounds: i > 0 ? Number(process.argv[i + 1]) : undefined });
  // Recorded by `npm run bench -- --identity` (bench/identity.mjs) under tokenIssue; alone, it only prints.
  console.log(JSON.stringify(results, null, 2));
}
