import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Change, Attribute } from 'ldapts';
import { createCa, issueServerCert, type CertifiedKey } from '../../src/lib/pki/certificates.js';

/**
 * A throwaway, real OpenLDAP directory for the identity tests: Debian's `slapd` (2.5) run as a child
 * process from a slapd.conf in a temporary folder (no system directory, see ../shared/testbed.md §9),
 * with TLS from its own test CA on two listeners: `ldaps://` and `ldap://` (StartTLS, or plain for the
 * `insecure` tests). Entries are written with ldapts as the root DN; anonymous users read nothing, the
 * reader account (what `spec.identity.ldap.bindDN` names in tests) reads everything but passwords.
 */

export const SLAPD_BINARY = '/usr/sbin/slapd';
export const SUFFIX = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const READER_DN = `cn=eectl-reader,ou=services,${SUFFIX}`;
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

export interface SlapdUser {
  uid: string;
  password: string;
  /** Extra attributes (e.g. `mail`). */
  attributes?: Record<string, string[]>;
}

export interface SlapdGroup {
  cn: string;
  /** Member uids (people under ou=people). */
  members: string[];
}

export interface SlapdOptions {
  /** The address both listeners bind to: loopback for integration tests, a sandbox gateway for e2e. */
  address?: string;
  users?: SlapdUser[];
  groups?: SlapdGroup[];
  /** The CA that signs the server certificate; a new one when absent. */
  ca?: CertifiedKey;
}

export interface Slapd {
  address: string;
  /** ldaps://ADDRESS:PORT */
  ldapsUrl: string;
  /** ldap://ADDRESS:PORT (StartTLS offered; plain for `insecure`) */
  ldapUrl: string;
  /** The test CA's certificate (PEM) and its file. */
  caPem: string;
  caPath: string;
  ca: CertifiedKey;
  readerPassword: string;
  /** The process's own folder (config, data, certificates). */
  dir: string;
  userDn: (uid: string) => string;
  groupDn: (cn: string) => string;
  addUser: (user: SlapdUser) => Promise<void>;
  removeUser: (uid: string) => Promise<void>;
  addGroup: (group: SlapdGroup) => Promise<void>;
  addMember: (cn: string, uid: string) => Promise<void>;
  removeMember: (cn: string, uid: string) => Promise<void>;
  /** Adds many entries on one connection (the bench's 1,000 users). */
  addMany: (users: SlapdUser[], groups: SlapdGroup[]) => Promise<void>;
  /** Stops slapd (idempotent); `remove` also deletes its folder. */
  stop: (remove?: boolean) => Promise<void>;
}

/** Whether this machine has slapd (installed by scripts/test-setup; integration tests say so when it is missing). */
export const haveSlapd = (): boolean => existsSync(SLAPD_BINARY);

/** `{SSHA}` as slappasswd writes it: SHA-1 of the password and a salt, then the salt, in base64. */
export function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(address: string, port: number, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 15_000;
  for (let attempt = 0; attempt < 150 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: address, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd did not listen on ${address}:${port} within 15 s:\n${log()}`);
}

function slapdConf(dir: string, rootPassword: string): string {
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    `TLSCACertificateFile ${dir}/ca.pem`,
    `TLSCertificateFile ${dir}/server-cert.pem`,
    `TLSCertificateKeyFile ${dir}/server-key.pem`,
    // As directories are set up in production (AD's MaxPageSize is 1,000): a search without paging stops at
    // 500 entries, a paged one may read them all (prtotal unlimited), so the 1,000-user bench needs paging.
    'sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited',
    'database mdb',
    'maxsize 268435456',
    `suffix "${SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${sshaHash(rootPassword)}`,
    `directory ${dir}/data`,
    'index objectClass eq',
    'index uid eq',
    'index member eq',
    // Passwords: checked by a bind, read by nobody.
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by users read by * none',
    '',
  ].join('\n');
}

/** Starts slapd with the given users and groups; call `stop()` when done. */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  if (!haveSlapd()) throw new Error(`${SLAPD_BINARY} is missing: apt-get install slapd ldap-utils`);
  const address = options.address ?? '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'eectl-slapd-'));
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  const ca = options.ca ?? (await createCa('slapd-test'));
  const server = await issueServerCert(ca, {
    commonName: address,
    dnsNames: ['localhost'],
    ipAddresses: [...new Set([address, '127.0.0.1'])],
  });
  const caPath = join(dir, 'ca.pem');
  await writeFile(caPath, ca.certPem);
  await writeFile(join(dir, 'server-cert.pem'), server.certPem);
  await writeFile(join(dir, 'server-key.pem'), server.keyPem, { mode: 0o600 });
  const rootPassword = randomBytes(12).toString('hex');
  const readerPassword = randomBytes(12).toString('hex');
  await writeFile(join(dir, 'slapd.conf'), slapdConf(dir, rootPassword), { mode: 0o600 });

  const ldapsPort = await freePort(address);
  const ldapPort = await freePort(address);
  const ldapsUrl = `ldaps://${address}:${ldapsPort}`;
  const ldapUrl = `ldap://${address}:${ldapPort}`;
  let output = '';
  const child = spawn(
    SLAPD_BINARY,
    ['-f', join(dir, 'slapd.conf'), '-h', `${ldapsUrl}/ ${ldapUrl}/`, '-d', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitForPort(address, ldapsPort, child, () => output);
  await waitForPort(address, ldapPort, child, () => output);

  const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;
  const groupDn = (cn: string) => `cn=${cn},${GROUPS}`;

  async function asRoot<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: ldapsUrl, tlsOptions: { ca: ca.certPem }, timeout: 10_000 });
    try {
      await client.bind(ROOT_DN, rootPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  const userEntry = (u: SlapdUser) => ({
    objectClass: ['inetOrgPerson'],
    uid: u.uid,
    cn: u.uid,
    sn: u.uid,
    userPassword: sshaHash(u.password),
    ...u.attributes,
  });
  const groupEntry = (g: SlapdGroup) => ({
    objectClass: ['groupOfNames'],
    cn: g.cn,
    // groupOfNames needs one member at least, so every group also names the root DN (not a user: readers
    // must skip members that are not users under the user base, as real directories' placeholders need).
    member: [ROOT_DN, ...g.members.map(userDn)],
  });

  await asRoot(async (c) => {
    await c.add(SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
    for (const ou of ['people', 'groups', 'services']) {
      await c.add(`ou=${ou},${SUFFIX}`, { objectClass: ['organizationalUnit'], ou });
    }
    await c.add(READER_DN, {
      objectClass: ['organizationalRole', 'simpleSecurityObject'],
      cn: 'eectl-reader',
      userPassword: sshaHash(readerPassword),
    });
    for (const u of options.users ?? []) await c.add(userDn(u.uid), userEntry(u));
    for (const g of options.groups ?? []) await c.add(groupDn(g.cn), groupEntry(g));
  });

  let stopped = false;
  const member = (cn: string, uid: string, operation: 'add' | 'delete') =>
    asRoot((c) =>
      c.modify(
        groupDn(cn),
        new Change({ operation, modification: new Attribute({ type: 'member', values: [userDn(uid)] }) }),
      ),
    );

  return {
    address,
    ldapsUrl,
    ldapUrl,
    caPem: ca.certPem,
    caPath,
    ca,
    readerPassword,
    dir,
    userDn,
    groupDn,
    addUser: (u) => asRoot((c) => c.add(userDn(u.uid), userEntry(u))),
    removeUser: (uid) => asRoot((c) => c.del(userDn(uid))),
    addGroup: (g) => asRoot((c) => c.add(groupDn(g.cn), groupEntry(g))),
    addMember: (cn, uid) => member(cn, uid, 'add'),
    removeMember: (cn, uid) => member(cn, uid, 'delete'),
    addMany: (users, groups) =>
      asRoot(async (c) => {
        for (const u of users) await c.add(userDn(u.uid), userEntry(u));
        for (const g of groups) await c.add(groupDn(g.cn), groupEntry(g));
      }),
    async stop(remove = true) {
      if (!stopped) {
        stopped = true;
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      }
      if (remove) await rm(dir, { recursive: true, force: true });
    },
  };
}
