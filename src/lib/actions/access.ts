import { readFile } from 'node:fs/promises';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig, HostSpec } from '../config/schema.js';
import type { Decision } from '../access/model.js';
import { AUTHZ_ENTRY, AUTHZ_NODE, AUTHZ_UNIT_NAME, TOKEN_ENTRY, TOKEN_UNIT_NAME } from '../host-layout.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { Connection } from '../ssh/connection.js';
import type { Logger } from '../util/log.js';
import { mapSettled } from '../util/concurrency.js';
import type {
  AccessCheckResult,
  AccessLogResult,
  AuditEntry,
  RegistryCheckResult,
} from '../results/access.js';

/** What `access check` and `access log` are given. */
export interface AccessOptions {
  config: ClusterConfig;
  session: Session;
  log: Logger;
  /** A manager's address or name; default the first that answers. */
  host?: string | undefined;
}

/** The plugin runs on the managers with spec.access, and for signed images without it. */
function accessOff(config: ClusterConfig): boolean {
  return !config.spec.access && !config.spec.images.policy.requireSigned;
}

/** What `access check` answers when the file turns access control off: no plugin decides, nothing refuses. */
export const ACCESS_OFF_REASON =
  'access control is off (the cluster file has no spec.access and images.policy.requireSigned is off): every client bundle of the cluster CA has full control';

function requireAccess(config: ClusterConfig): void {
  if (accessOff(config)) {
    throw new UsageError(
      'the cluster file has no spec.access: access control is off, every client bundle has full control',
      {
        code: 'EACCESS_OFF',
        suggestions: ['Add spec.access (users, teams, grants) and run eectl install.'],
      },
    );
  }
}

function managerSpecs(options: AccessOptions): HostSpec[] {
  const all = options.config.spec.hosts.filter((h) => h.role === 'manager');
  if (options.host === undefined) return all;
  const one = all.filter((h) => h.address === options.host);
  if (one.length === 0) throw new UsageError(`--host ${options.host} is not a manager of the cluster file`);
  return one;
}

/** The first manager of the list that answers over SSH. */
export async function firstManager(options: AccessOptions): Promise<{ spec: HostSpec; conn: Connection }> {
  const errors: string[] = [];
  for (const spec of managerSpecs(options)) {
    try {
      return { spec, conn: await options.session.connect(spec) };
    } catch (error) {
      errors.push(`${spec.address}: ${(error as Error).message}`);
    }
  }
  throw new EectlError(`no manager answered:\n  ${errors.join('\n  ')}`, {
    code: 'ENO_MANAGER',
    kind: 'external',
  });
}

/** `access check`: the request and, for the result, the manager that decided. */
export interface AccessCheckInput {
  user: string;
  method: string;
  path: string;
  bodyFile?: string | undefined;
}

/**
 * A refused request or scope as the error of `access check` (exit 1): its answer is already on the terminal
 * (DENY, REFUSE), so only --json shows it, with the whole decision as `result`.
 */
export function refusedError(result: AccessCheckResult | RegistryCheckResult): EectlError {
  const message =
    'decisions' in result
      ? `${result.user} is refused ${result.decisions
          .filter((d) => (d.scope.split(':').at(-1) ?? '').split(',').some((a) => !d.granted.includes(a)))
          .map((d) => `${d.scope} (granted: ${d.granted.join(',') || 'nothing'})`)
          .join(', ')}`
      : `${result.user} may not ${result.action}: ${result.reason}`;
  return new EectlError(message, {
    code: 'EACCESS_DENIED',
    kind: 'user',
    exitCode: ExitCode.failure,
    result,
    shown: true,
  });
}

/**
 * Asks a manager's plugin code for its decision on a request, as the user's bundle would send it: the same
 * modules the plugin runs, with the manager's policy file and its engine for the resources the request
 * names. The body goes on stdin, never on a command line.
 */
export async function accessCheck(
  options: AccessOptions,
  input: AccessCheckInput,
): Promise<AccessCheckResult> {
  const method = input.method.toUpperCase();
  if (!/^(GET|HEAD|POST|PUT|DELETE|PATCH)$/.test(method))
    throw new UsageError(`--method ${input.method}: not an HTTP method of the engine API`);
  if (!input.path.startsWith('/'))
    throw new UsageError(`--path ${input.path}: an API path starts with / (e.g. /v1.41/services/create)`);
  let body: string | undefined;
  if (input.bodyFile !== undefined) {
    try {
      body = (await readFile(input.bodyFile)).toString('base64');
    } catch (error) {
      throw new UsageError(`--body ${input.bodyFile}: ${(error as Error).message}`);
    }
  }
  // Without a policy there is nothing to ask: the answer is the file's, and no manager is contacted.
  if (accessOff(options.config)) {
    return {
      allow: true,
      reason: ACCESS_OFF_REASON,
      user: input.user,
      resource: 'any (access control is off)',
      action: `${method} ${input.path.split('?')[0]}`,
      host: '',
      method,
      path: input.path,
    };
  }
  const { spec, conn } = await firstManager(options);
  const stdin = JSON.stringify({
    method,
    uri: input.path,
    user: input.user,
    ...(body !== undefined && { body }),
  });
  const r = await conn.exec([AUTHZ_NODE, AUTHZ_ENTRY, 'check'], {
    sudo: true,
    stdin,
    check: false,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new EectlError(
      `${spec.address}: the plugin's check failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
      {
        code: 'EACCESS_CHECK',
        kind: 'external',
        host: spec.address,
        suggestions: ['Run eectl install: it installs the authorization plugin on every manager.'],
      },
    );
  }
  const decision = JSON.parse(r.stdout) as Decision;
  return { ...decision, host: spec.address, method, path: input.path };
}

/**
 * Asks a manager's token-service code what `user` would be granted of registry scopes, from that
 * manager's policy: the same decision as a token request after a successful login.
 */
export async function registryScopeCheck(
  options: AccessOptions,
  input: { user: string; scopes: string[] },
): Promise<RegistryCheckResult> {
  if (!options.config.spec.registry.auth?.token) {
    throw new UsageError(
      'the registry does not use token authentication (registry.auth.token): with htpasswd every registry user may push and pull every repository',
      {
        code: 'EREGISTRY_NO_TOKEN_AUTH',
        suggestions: ['Set registry.auth.token and registry.namespaces, and run eectl install.'],
      },
    );
  }
  for (const scope of input.scopes) {
    if (scope.split(':').length < 3) {
      throw new UsageError(
        `--registry-scope ${scope}: a scope is TYPE:NAME:ACTIONS, e.g. repository:web/app:pull,push`,
        { code: 'EREGISTRY_SCOPE' },
      );
    }
  }
  const { spec, conn } = await firstManager(options);
  const r = await conn.exec([AUTHZ_NODE, TOKEN_ENTRY, 'check'], {
    sudo: true,
    stdin: JSON.stringify({ user: input.user, scopes: input.scopes }),
    check: false,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new EectlError(
      `${spec.address}: the token service's check failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
      {
        code: 'EACCESS_CHECK',
        kind: 'external',
        host: spec.address,
        suggestions: ['Run eectl install: it installs the token service on every manager.'],
      },
    );
  }
  const answer = JSON.parse(r.stdout) as {
    tokenAuth: boolean;
    known?: boolean;
    decisions: RegistryCheckResult['decisions'];
  };
  if (!answer.tokenAuth) {
    throw new EectlError(`${spec.address}: its policy has no registry rules yet: run eectl install`, {
      code: 'EACCESS_CHECK',
      kind: 'user',
      host: spec.address,
    });
  }
  const known = answer.known === true;
  const asked = (scope: string) => scope.split(':').slice(2).join(':').split(',');
  const allow = known && answer.decisions.every((d) => asked(d.scope).every((a) => d.granted.includes(a)));
  return { host: spec.address, user: input.user, known, allow, decisions: answer.decisions };
}

export interface AccessLogFilter {
  user?: string | undefined;
  /** Epoch milliseconds. */
  since?: number | undefined;
  denied?: boolean | undefined;
}

/** Parses `--since`: an ISO 8601 time, or a duration back from now (30s, 15m, 2h, 7d). */
export function parseSince(value: string, now = Date.now()): number {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(relative[1]) * unit;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new UsageError(
      `--since ${value}: use an ISO 8601 time (2026-12-01T18:00:00Z) or a duration (30s, 15m, 2h, 7d)`,
    );
  return at;
}

/** Audit lines (the plugin's JSON on stdout, in journald) → entries of one host, filtered. */
export function parseAuditLines(host: string, text: string, filter: AccessLogFilter): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: Partial<AuditEntry>;
    try {
      e = JSON.parse(line) as Partial<AuditEntry>;
    } catch {
      continue;
    }
    if (typeof e.time !== 'string' || typeof e.allow !== 'boolean') continue;
    if (filter.user !== undefined && e.user !== filter.user) continue;
    if (filter.denied && e.allow) continue;
    if (filter.since !== undefined && Date.parse(e.time) < filter.since) continue;
    out.push({ host, ...(e as Omit<AuditEntry, 'host'>) });
  }
  return out;
}

/** `access log`: the decisions of every manager's plugin, from journald, merged by time. */
export async function accessLog(
  options: AccessOptions & { concurrency: number },
  filter: AccessLogFilter,
): Promise<AccessLogResult> {
  requireAccess(options.config);
  const specs = managerSpecs(options);
  const since = filter.since === undefined ? [] : ['--since', `@${Math.floor(filter.since / 1000)}`];
  const settled = await mapSettled(specs, options.concurrency, async (spec) => {
    const conn = await options.session.connect(spec);
    // The plugin's decisions and the token service's tokens (its unit is absent with htpasswd: no lines).
    const units = ['-u', AUTHZ_UNIT_NAME, '-u', TOKEN_UNIT_NAME];
    const r = await conn.exec(['journalctl', ...units, '-o', 'cat', '--no-pager', ...since], {
      sudo: true,
      timeoutMs: 120_000,
    });
    return parseAuditLines(spec.address, r.stdout, filter);
  });
  const entries: AuditEntry[] = [];
  const unreachable: AccessLogResult['unreachable'] = [];
  settled.forEach((s, i) => {
    if (s.ok) entries.push(...s.value);
    else unreachable.push({ host: specs[i]!.address, error: (s.error as Error).message });
  });
  if (entries.length === 0 && unreachable.length === specs.length) {
    throw new EectlError(
      `no manager's audit log could be read: ${unreachable.map((u) => `${u.host}: ${u.error}`).join('; ')}`,
      {
        code: 'EACCESS_LOG',
        kind: 'external',
        exitCode: ExitCode.failure,
      },
    );
  }
  entries.sort((a, b) => a.time.localeCompare(b.time));
  return { entries, unreachable };
}
