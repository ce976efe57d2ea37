/**
 * `npm run bench -- --identity` (or `npm run bench:identity`): one identity for the platform.
 *
 * Directory sync (this part): what `eectl identity sync` and `install` spend reading the directory, against
 * a real OpenLDAP slapd (test/helpers/slapd.ts: TLS from a test CA, a size limit of 500 without paging as
 * production directories have) holding `--users` users (default 1,000) in `--groups` groups (default 50;
 * each user in one group, every tenth in a second one), all groups mapped to teams. Each of `--runs` runs
 * (default 5) does what a sync does on this machine: connect over ldaps:// with the certificate checked,
 * bind, read the users and the groups with paged searches (`--page-size`, default 200), and compile the
 * policy from the file and the directory. Recorded: the median and every run's time (read, compile),
 * and the round trips to the directory (bind + one per page of each search).
 *
 * Token issue latency (file user and LDAP user): bench/identity-tokens.mjs, run from here after the sync
 * (`--rounds`, default 200 requests of each kind), recorded under `tokenIssue` of the same file.
 *
 * The helper is TypeScript: Node 22 strips its types, and its imports of src/lib are sent to the build
 * in dist/lib (`npm run bench` builds first). Needs /usr/sbin/slapd (apt-get install slapd ldap-utils).
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compilePolicy } from '../dist/lib/access/compile.js';
import { ldapSchema, accessSchema } from '../dist/lib/config/schema.js';
import { readDirectory } from '../dist/lib/identity/directory.js';
import { smoke, writeResult } from './results.mjs';

const root = new URL('../', import.meta.url);
registerHooks({
  resolve(specifier, context, next) {
    // test/helpers/*.ts import ../../src/lib/X.js: the compiled module is dist/lib/X.js.
    if (specifier.startsWith('.') && context.parentURL?.endsWith('.ts')) {
      const target = new URL(specifier, context.parentURL).href;
      const src = new URL('src/lib/', root).href;
      if (target.startsWith(src) && !existsSync(fileURLToPath(target)))
        return next(new URL(`dist/lib/${target.slice(src.length)}`, root).href, context);
    }
    return next(specifier, context);
  },
});
const { startSlapd, haveSlapd, PEOPLE, GROUPS, READER_DN } = await import('../test/helpers/slapd.ts');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
// At the smallest size (--smoke): 50 users in 5 groups, one run, 20 token requests of each kind.
const USERS = option('users', smoke ? 50 : 1000);
const GROUP_COUNT = option('groups', smoke ? 5 : 50);
const RUNS = option('runs', smoke ? 1 : 5);
const PAGE_SIZE = option('page-size', 200);

if (!haveSlapd()) {
  console.error('bench identity: /usr/sbin/slapd is missing (apt-get install slapd ldap-utils)');
  process.exit(1);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const ms = (x) => Math.round(x * 10) / 10;

const uid = (i) => `user${String(i).padStart(4, '0')}`;
const users = Array.from({ length: USERS }, (_, i) => ({ uid: uid(i), password: `pw-${i}` }));
const groups = Array.from({ length: GROUP_COUNT }, (_, g) => ({
  cn: `team${String(g).padStart(2, '0')}`,
  members: users
    .filter((_, i) => i % GROUP_COUNT === g || (i % 10 === 0 && (i + 1) % GROUP_COUNT === g))
    .map((u) => u.uid),
}));

const slapd = await startSlapd();
let result;
try {
  const seedStart = performance.now();
  await slapd.addMany(users, groups);
  const seedMs = performance.now() - seedStart;

  const spec = ldapSchema.parse({
    url: slapd.ldapsUrl,
    caPath: slapd.caPath,
    bindDN: READER_DN,
    bindPasswordEnv: 'LDAP_BIND_PASSWORD',
    userBase: PEOPLE,
    groupBase: GROUPS,
    userFilter: '(objectClass=inetOrgPerson)',
  });
  const access = accessSchema.parse({
    users: [{ name: 'ops', admin: true }],
    teams: groups.map((g) => ({ name: g.cn, ldapGroup: slapd.groupDn(g.cn) })),
    grants: groups.map((g) => ({ team: g.cn, role: 'restrictedControl', collection: `/Shared/${g.cn}` })),
  });
  const groupDns = groups.map((g) => slapd.groupDn(g.cn));
  const runs = [];
  let previous = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const snap = await readDirectory(
      { spec, bindPassword: slapd.readerPassword, caPem: slapd.caPem, pageSize: PAGE_SIZE },
      groupDns,
    );
    const t1 = performance.now();
    const policy = compilePolicy('bench', access, previous, new Date(), undefined, {
      users: snap.users,
      groups: snap.groups,
      connection: {
        url: spec.url,
        startTLS: false,
        insecure: false,
        timeoutSeconds: 10,
        syncedAt: snap.readAt,
      },
    });
    const t2 = performance.now();
    previous = [policy];
    if (snap.users.length !== USERS) throw new Error(`read ${snap.users.length} users, expected ${USERS}`);
    if (policy.users.length !== USERS + 1) throw new Error(`policy has ${policy.users.length} users`);
    runs.push({
      totalMs: ms(t2 - t0),
      readMs: ms(t1 - t0),
      compileMs: ms(t2 - t1),
      roundTrips: snap.roundTrips,
    });
  }
  result = {
    users: USERS,
    groups: GROUP_COUNT,
    memberships: groups.reduce((n, g) => n + g.members.length, 0),
    pageSize: PAGE_SIZE,
    runs: RUNS,
    medianMs: median(runs.map((r) => r.totalMs)),
    medianReadMs: median(runs.map((r) => r.readMs)),
    medianCompileMs: median(runs.map((r) => r.compileMs)),
    roundTrips: runs[0].roundTrips,
    each: runs,
    seedMs: ms(seedMs),
  };
} finally {
  await slapd.stop();
}

// Token issue latency (file user and directory user) through the token service's own code and a real slapd.
const { identityTokens } = await import('./identity-tokens.mjs');
const tokenIssue = await identityTokens({ rounds: option('rounds', smoke ? 20 : 200) });

const out = { directorySync: result, tokenIssue };
console.log(JSON.stringify(out, null, 2));
console.error(`wrote ${writeResult('identity', out)}`);
