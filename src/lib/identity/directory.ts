import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, type Entry } from 'ldapts';
import { accessUserNameSchema, type LdapSpec } from '../config/schema.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { addSecret } from '../util/redact.js';
import { normalizeDn } from './dn.js';
import { filterProblem, userSearchFilter } from './filter.js';

/** A user of the directory: the name (the userAttribute's value) and the entry's DN. */
export interface DirectoryUser {
  name: string;
  dn: string;
}

/** A group a team maps (`ldapGroup`, as the file writes it) and the names of its members who are users. */
export interface DirectoryGroup {
  dn: string;
  found: boolean;
  members: string[];
}

/** What the directory said, once: its users, the mapped groups' members, and what was skipped and why. */
export interface DirectorySnapshot {
  url: string;
  readAt: string;
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  warnings: string[];
  /** Requests that waited for an answer: StartTLS, bind, each page of each search. */
  roundTrips: number;
}

/** How to reach the directory: the file's `identity.ldap`, the bind password and the CA's PEM. */
export interface DirectoryOptions {
  spec: LdapSpec;
  bindPassword: string;
  caPem?: string | undefined;
  /** Entries per page of a search (slapd answers at most 500 without paging by default). */
  pageSize?: number;
}

export const INSECURE_WARNING =
  'identity.ldap.insecure: the directory is read over plain ldap://: the bind password and every login password cross the network readable';

/** The bind password from `bindPasswordEnv`, registered as a secret; a UsageError when unset. */
export function directoryBindPassword(spec: LdapSpec, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[spec.bindPasswordEnv];
  if (!value) {
    throw new UsageError(
      `spec.identity.ldap.bindPasswordEnv: environment variable ${spec.bindPasswordEnv} is not set`,
      {
        code: 'ESECRET',
        suggestions: [
          `Export ${spec.bindPasswordEnv} with the password of ${spec.bindDN} before running eectl.`,
        ],
      },
    );
  }
  addSecret(value);
  return value;
}

/** The CA of `caPath` (resolved against the cluster file's folder at load), or undefined for the system's. */
export function directoryCaPem(spec: LdapSpec): string | undefined {
  if (spec.caPath === undefined) return undefined;
  try {
    const pem = readFileSync(spec.caPath, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (error) {
    throw new UsageError(`spec.identity.ldap.caPath: ${spec.caPath}: ${(error as Error).message}`, {
      code: 'EIDENTITY_CA',
      suggestions: ["Name the PEM file of the CA that signed the directory's certificate."],
    });
  }
}

/** Options for Node's TLS, checking the directory's certificate against the CA and the URL's host name. */
export function directoryTlsOptions(url: string, caPem: string | undefined): ConnectionOptions {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    // SNI takes host names only; an address is checked against the certificate's IP SANs by `host`.
    ...(isIP(host) === 0 && { servername: host }),
    ...(caPem !== undefined && { ca: [caPem] }),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

type Step = 'connect' | 'bind' | 'search';

/** A connection to the directory, bound as the file's bindDN, counting its round trips. */
export class DirectoryReader {
  roundTrips = 0;
  private constructor(
    private readonly client: Client,
    readonly spec: LdapSpec,
    private readonly pageSize: number,
  ) {}

  /** Connects (TLS, or StartTLS, verified), binds, and fails with an error naming the URL and the step. */
  static async open(options: DirectoryOptions): Promise<DirectoryReader> {
    const { spec } = options;
    const problem = filterProblem(spec.userFilter) ?? filterProblem(spec.groupFilter);
    if (problem) {
      throw new UsageError(`spec.identity.ldap: userFilter or groupFilter is ${problem}`, {
        code: 'EIDENTITY_FILTER',
        suggestions: ['Write the filter in parentheses, e.g. (objectClass=inetOrgPerson).'],
      });
    }
    const secure = spec.url.toLowerCase().startsWith('ldaps:');
    if (!secure && !spec.startTLS && !spec.insecure) {
      throw new UsageError(`${spec.url}: plain ldap:// is refused`, {
        code: 'EIDENTITY_INSECURE',
        suggestions: ['Use ldaps://, or startTLS: true, or insecure: true to accept it on purpose.'],
      });
    }
    const tls = directoryTlsOptions(spec.url, options.caPem);
    const ms = spec.timeoutSeconds * 1000;
    const client = new Client({
      url: spec.url,
      timeout: ms,
      connectTimeout: ms,
      ...(secure && { tlsOptions: tls }),
    });
    const conn = new DirectoryReader(client, spec, options.pageSize ?? 200);
    try {
      if (spec.startTLS) {
        await conn.step('connect', () => client.startTLS(tls));
      }
      await conn.step('bind', () => client.bind(spec.bindDN, options.bindPassword));
    } catch (error) {
      await conn.close();
      throw error;
    }
    return conn;
  }

  /** Every user under userBase: entries of userFilter with a name that passes the access user-name rule. */
  async users(): Promise<{ users: DirectoryUser[]; warnings: string[] }> {
    const attr = this.spec.userAttribute;
    const entries = await this.search(this.spec.userBase, userSearchFilter(this.spec), [attr]);
    const warnings: string[] = [];
    const byName = new Map<string, DirectoryUser[]>();
    for (const entry of entries) {
      const values = attributeValues(entry, attr);
      if (values.length !== 1) {
        warnings.push(`${entry.dn}: skipped: ${values.length} values of ${attr}, a user needs exactly one`);
        continue;
      }
      const name = values[0]!;
      if (!accessUserNameSchema.safeParse(name).success) {
        warnings.push(
          `${entry.dn}: skipped: ${attr} ${JSON.stringify(name)} is not a user name eectl accepts (letters, digits, . _ @ -, 64 at most)`,
        );
        continue;
      }
      byName.set(name, [...(byName.get(name) ?? []), { name, dn: entry.dn }]);
    }
    const users: DirectoryUser[] = [];
    for (const [name, found] of byName) {
      if (found.length === 1) users.push(found[0]!);
      // Which entry a login would bind as is then a guess: neither is a user.
      else
        warnings.push(
          `${attr} ${name} is on ${found.length} entries (${found.map((u) => u.dn).join('; ')}): skipped`,
        );
    }
    return { users: users.sort((a, b) => a.name.localeCompare(b.name)), warnings };
  }

  /**
   * The groups of groupBase matching groupFilter (one paged search), and for each DN of `wanted` the names
   * of its members (memberAttribute) that are among `users`. Members that are not users (nested groups,
   * entries outside userBase or userFilter) are left out.
   */
  async groups(
    wanted: readonly string[],
    users: readonly DirectoryUser[],
  ): Promise<{ groups: DirectoryGroup[]; warnings: string[] }> {
    const warnings: string[] = [];
    if (wanted.length === 0) return { groups: [], warnings };
    const memberAttr = this.spec.memberAttribute;
    const entries = await this.search(this.spec.groupBase, this.spec.groupFilter, [memberAttr]);
    const byDn = new Map<string, Entry>();
    for (const e of entries) {
      const key = normalizeDn(e.dn);
      if (key !== undefined) byDn.set(key, e);
    }
    const userByDn = new Map<string, string>();
    for (const u of users) {
      const key = normalizeDn(u.dn);
      if (key !== undefined) userByDn.set(key, u.name);
    }
    const groups = wanted.map((dn): DirectoryGroup => {
      const key = normalizeDn(dn);
      const entry = key === undefined ? undefined : byDn.get(key);
      if (!entry) {
        warnings.push(
          `group ${dn} is not under ${this.spec.groupBase} matching ${this.spec.groupFilter}: its team gets no members from the directory`,
        );
        return { dn, found: false, members: [] };
      }
      const read = groupMembers(entry, memberAttr, userByDn);
      if (read.ranged !== undefined) {
        warnings.push(
          `group ${dn} has more members than the directory sends at once (${read.ranged}): ranged retrieval is not supported, the team gets no members from it`,
        );
      }
      return { dn, found: true, members: read.members };
    });
    return { groups, warnings };
  }

  /** Every entry the directory finds for a name (escaped into the filter: `*)(uid=*` is a name, never syntax). */
  async usersNamed(name: string): Promise<DirectoryUser[]> {
    const attr = this.spec.userAttribute;
    const entries = await this.search(this.spec.userBase, userSearchFilter(this.spec, name), [attr]);
    return entries.map((e) => ({ name: attributeValues(e, attr).join(','), dn: e.dn }));
  }

  /** The one user of exactly that name, or undefined (none, or more than one entry). */
  async findUser(name: string): Promise<DirectoryUser | undefined> {
    const found = (await this.usersNamed(name)).filter((u) => u.name === name);
    return found.length === 1 ? found[0] : undefined;
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }

  /** A paged subtree search: one round trip per page. */
  private async search(base: string, filter: string, attributes: string[]): Promise<Entry[]> {
    return this.step(
      'search',
      async () => {
        const entries: Entry[] = [];
        const pages = this.client.searchPaginated(base, {
          scope: 'sub',
          filter,
          attributes,
          paged: { pageSize: this.pageSize },
          timeLimit: this.spec.timeoutSeconds,
        });
        for (;;) {
          this.roundTrips++;
          const page = await pages.next();
          if (page.done) {
            this.roundTrips--; // the generator's end asks nothing
            break;
          }
          entries.push(...page.value.searchEntries);
        }
        return entries;
      },
      base,
    );
  }

  private async step<T>(step: Step, run: () => Promise<T>, base?: string): Promise<T> {
    if (step !== 'search') this.roundTrips++;
    try {
      return await run();
    } catch (error) {
      throw directoryError(this.spec, step, error, base);
    }
  }
}

/** Reads the users and the mapped groups' members, on one connection. */
export async function readDirectory(
  options: DirectoryOptions,
  groupDns: readonly string[],
): Promise<DirectorySnapshot> {
  const conn = await DirectoryReader.open(options);
  try {
    const users = await conn.users();
    const groups = await conn.groups(groupDns, users.users);
    return {
      url: options.spec.url,
      readAt: new Date().toISOString(),
      users: users.users,
      groups: groups.groups,
      warnings: [...(options.spec.insecure ? [INSECURE_WARNING] : []), ...users.warnings, ...groups.warnings],
      roundTrips: conn.roundTrips,
    };
  } finally {
    await conn.close();
  }
}

/**
 * The names of a group's members that are users (`userByDn`: normalised DN to name). Active Directory
 * sends a large group's members in ranges (`member;range=0-1499`): not read yet, so such a group has no
 * members here (`ranged` names the attribute), which takes access away and never gives any.
 */
export function groupMembers(
  entry: Entry,
  memberAttr: string,
  userByDn: ReadonlyMap<string, string>,
): { members: string[]; ranged?: string } {
  const ranged = Object.keys(entry).find((k) =>
    k.toLowerCase().startsWith(`${memberAttr.toLowerCase()};range=`),
  );
  if (ranged !== undefined) return { members: [], ranged };
  const members = new Set<string>();
  for (const m of attributeValues(entry, memberAttr)) {
    const key = normalizeDn(m);
    const name = key === undefined ? undefined : userByDn.get(key);
    if (name !== undefined) members.add(name);
  }
  return { members: [...members].sort() };
}

/** An attribute's values as strings, the attribute found without regard to case (AD answers in its own). */
function attributeValues(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|HOSTNAME|ALTNAME/;
const CONNECT_CODE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/;

/** The failure of a step as the operator can act on it: which URL, what failed, what to do. */
export function directoryError(spec: LdapSpec, step: Step, error: unknown, base?: string): EectlError {
  if (error instanceof EectlError) return error;
  const e = error as NodeJS.ErrnoException;
  const code = e.code ?? '';
  const message = e.message ?? String(error);
  const where = spec.url;
  if (TLS_CODE.test(code) || /certificate|SSL|TLS/i.test(message)) {
    return new EectlError(`${where}: the directory's TLS certificate is refused (${code || message})`, {
      code: 'EIDENTITY_TLS',
      kind: 'external',
      exitCode: ExitCode.failure,
      cause: error,
      suggestions: [
        spec.caPath === undefined
          ? "Set spec.identity.ldap.caPath to the CA (PEM) that signed the directory's certificate."
          : `Check that ${spec.caPath} is the CA that signed the directory's certificate, and that the certificate names the URL's host.`,
      ],
    });
  }
  if (CONNECT_CODE.test(code) || /Connection timeout|Socket error|Connection closed/.test(message)) {
    return new EectlError(`${where}: cannot connect to the directory (${code || message.split('\n')[0]})`, {
      code: 'EIDENTITY_CONNECT',
      kind: 'external',
      exitCode: ExitCode.failure,
      cause: error,
      suggestions: ['Check the URL and that the directory answers from here (host, port, firewall).'],
    });
  }
  if (step === 'bind' || error instanceof InvalidCredentialsError) {
    return new EectlError(`${where}: the directory refused the bind as ${spec.bindDN} (${message})`, {
      code: 'EIDENTITY_BIND',
      kind: 'user',
      exitCode: ExitCode.usage,
      cause: error,
      suggestions: [`Check spec.identity.ldap.bindDN and the password in ${spec.bindPasswordEnv}.`],
    });
  }
  if (error instanceof NoSuchObjectError) {
    return new EectlError(`${where}: ${base ?? 'the search base'} does not exist in the directory`, {
      code: 'EIDENTITY_SEARCH',
      kind: 'user',
      exitCode: ExitCode.usage,
      cause: error,
      suggestions: ['Check spec.identity.ldap.userBase and groupBase.'],
    });
  }
  const result = error instanceof ResultCodeError ? ` (LDAP result ${error.code})` : '';
  return new EectlError(`${where}: the search under ${base ?? '?'} failed${result}: ${message}`, {
    code: 'EIDENTITY_SEARCH',
    kind: 'external',
    exitCode: ExitCode.failure,
    cause: error,
    suggestions: [
      `Check that ${spec.bindDN} may read ${base ?? 'the bases'} and that the filters are right.`,
    ],
  });
}
