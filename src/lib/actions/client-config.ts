import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { bundleFiles, writeBundle } from '../pki/bundle.js';
import { bundleRecord, recordIssuedBundle } from '../pki/issued-bundles.js';
import { completeCa, readGivenCa, readLocalCa, readLocalNextCa, writeLocalCa } from '../pki/ca-store.js';
import {
  WATCHER_USER,
  HOST_CA_CERT,
  HOST_CA_KEY,
  HOST_CA_NEXT_CERT,
  HOST_CA_NEXT_KEY,
} from '../host-layout.js';
import { issueClientCert, type CertifiedKey } from '../pki/certificates.js';
import { summarizeCertificate } from '../pki/inspect.js';
import { keyMatchesCert } from '../pki/keys.js';
import { localNextPkiDir } from '../pki/paths.js';
import { firstCertificate, trustBundle } from '../pki/trust-bundle.js';
import { LocalConnection } from '../ssh/local-connection.js';
import { clusterDir, type Logger } from '../util/log.js';
import { addSecret } from '../util/redact.js';
import { readManagerPolicy } from './identity.js';
import type { ClientConfigResult } from '../results/access.js';

/** User names become a certificate's CN and a directory name: keep them plain. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** What `docker context create` accepts as a name. */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export interface ClientConfigOptions {
  config: ClusterConfig;
  /** Opened only when this machine has no copy of the CA: it is then read from a manager. */
  session: () => Session;
  log: Logger;
  user: string;
  /** Bundle directory; default ~/.eectl/<cluster>/bundles/<user>. */
  out?: string | undefined;
  /** Docker context name; default eectl-<cluster>-<user>. */
  context?: string | undefined;
  /** Manager address the bundle talks to; default the first manager of the file. */
  endpoint?: string | undefined;
}

/**
 * Issues a client certificate (CN = user) from the cluster CA, writes the bundle (ca.pem, cert.pem,
 * key.pem 0600, env.sh, env.ps1) and a docker context when a docker CLI is on PATH.
 */
export async function clientConfig(options: ClientConfigOptions): Promise<ClientConfigResult> {
  const { config, user } = options;
  const cluster = config.metadata.name;
  if (!USER_NAME.test(user)) {
    throw new UsageError(
      `--user ${JSON.stringify(user)}: use letters, digits, '.', '_', '@' or '-' (64 at most)`,
    );
  }
  if (user.toLowerCase() === WATCHER_USER) {
    throw new UsageError(
      `--user ${user}: that is the ingress watcher's own identity, which install gives the watcher alone`,
      { code: 'EACCESS_USER', suggestions: ['Issue the bundle for a user of spec.access.users.'] },
    );
  }
  const access = config.spec.access;
  const inFile = access?.users.some((u) => u.name === user) === true;
  // A directory user is known to the managers (their policy, from the last sync), not to the file.
  if (access && !inFile && config.spec.identity.ldap) {
    await requireDirectoryUser(options);
  } else if (access && !inFile) {
    throw new UsageError(
      `--user ${user}: not in spec.access.users of the cluster file, so the managers would refuse the bundle`,
      {
        code: 'EACCESS_USER',
        suggestions: [
          `Add { name: ${user} } to spec.access.users (and grants), run eectl install, then issue the bundle.`,
          `Users in the file: ${access.users.map((u) => u.name).join(', ')}.`,
        ],
      },
    );
  }
  const contextName = options.context ?? `eectl-${cluster}-${user}`;
  if (!CONTEXT_NAME.test(contextName)) {
    throw new UsageError(`--context ${JSON.stringify(contextName)} is not a name docker accepts`, {
      suggestions: ['Use letters, digits, "_", ".", "+" and "-", starting with a letter or digit.'],
    });
  }
  const { ca, source, trustPem } = await findCa(options);
  const client = await issueClientCert(ca, user);
  const endpoint = options.endpoint ?? config.spec.hosts.find((h) => h.role === 'manager')!.address;
  const dockerHost = `tcp://${endpoint}:${config.spec.controlPlane.apiPort}`;
  const dir = resolve(options.out ?? join(clusterDir(cluster), 'bundles', user));
  const expires = summarizeCertificate(client.certPem).notAfter;
  const files = await writeBundle(
    dir,
    bundleFiles({ cluster, user, caPem: trustPem ?? ca.certPem, ...client, dockerHost, dir, expires }),
  );
  options.log.info(`client bundle for ${user} written to ${dir}`);
  // Remembered here (no key): `certs status` lists it, and a new cluster CA names it to issue again.
  await recordIssuedBundle(cluster, bundleRecord(user, dir, client.certPem, ca.certPem));
  const context = await dockerContext(
    options.log,
    contextName,
    dockerHost,
    dir,
    `eectl ${cluster} (${user})`,
  );
  return { cluster, user, dir, files, dockerHost, expires: expires.toISOString(), caSource: source, context };
}

/** The user is in a manager's policy (a directory user of the last sync), or the bundle is refused here. */
async function requireDirectoryUser(options: ClientConfigOptions): Promise<void> {
  const session = options.session();
  const { host, policy } = await readManagerPolicy({
    config: options.config,
    session,
    log: options.log,
  }).finally(() => session.close());
  if (!policy.users.some((u) => u.name === options.user)) {
    throw new UsageError(
      `--user ${options.user}: neither in spec.access.users nor a directory user in the policy of ${host}, so the managers would refuse the bundle`,
      {
        code: 'EACCESS_USER',
        suggestions: [
          `Add ${options.user} to a directory group a team maps (ldapGroup), then run eectl identity sync.`,
          'eectl identity ls lists the users in force.',
        ],
      },
    );
  }
}

/**
 * The cluster CA with its key. controlPlane.ca when the file names one (a supplied CA's key exists only
 * there); else this machine's copy of the generated CA (install keeps it the same as the managers'), so a
 * bundle needs no connection; else the first manager that has it (and this machine keeps a copy from then on).
 */
async function findCa(
  options: ClientConfigOptions,
): Promise<{ ca: CertifiedKey; source: string; trustPem?: string }> {
  const cluster = options.config.metadata.name;
  // A supplied CA signs here, from the operator's own files: its key is on no manager, nor in ~/.eectl.
  const given = options.config.spec.controlPlane.ca;
  if (given) {
    const candidate = await readGivenCa(given);
    return { ca: completeCa(candidate)!, source: candidate.where };
  }
  const local = await readLocalCa(cluster);
  const localCa = local && completeCa(local);
  // During a cluster CA rotation the new CA signs, and the bundle trusts both: the managers' server
  // certificates are the old CA's until the finish, the new CA's after it.
  const next = await readLocalNextCa(cluster);
  const nextCa = next && completeCa(next);
  if (nextCa) {
    const trustPem = trustBundle([nextCa.certPem, ...(local ? [local.certPem] : [])]);
    return { ca: nextCa, source: next.where, trustPem };
  }
  if (localCa) return { ca: localCa, source: local.where };
  const session = options.session();
  try {
    for (const spec of options.config.spec.hosts.filter((h) => h.role === 'manager')) {
      const conn = await session.connect(spec).catch((e: unknown) => {
        options.log.warn(`${spec.address}: ${(e as Error).message}`);
        return undefined;
      });
      const trust = (await conn?.readFile(HOST_CA_CERT, { sudo: true }))?.toString('utf8');
      const nextPem = trust && (await conn?.readFile(HOST_CA_NEXT_CERT, { sudo: true }))?.toString('utf8');
      if (trust && nextPem) {
        const nextKey = (await conn?.readFile(HOST_CA_NEXT_KEY, { sudo: true }))?.toString('utf8');
        addSecret(nextKey);
        if (nextKey && keyMatchesCert(nextKey, nextPem)) {
          const ca = { certPem: nextPem, keyPem: nextKey };
          await writeLocalCa(cluster, ca, localNextPkiDir(cluster));
          return {
            ca,
            source: `${spec.address}:${HOST_CA_NEXT_CERT}`,
            trustPem: trustBundle([nextPem, trust]),
          };
        }
      }
      const certPem = trust && firstCertificate(trust);
      const keyPem = certPem && (await conn?.readFile(HOST_CA_KEY, { sudo: true }))?.toString('utf8');
      addSecret(keyPem);
      if (certPem && keyPem && keyMatchesCert(keyPem, certPem)) {
        const ca = { certPem, keyPem };
        await writeLocalCa(cluster, ca);
        return { ca, source: `${spec.address}:${HOST_CA_CERT}` };
      }
    }
  } finally {
    await session.close();
  }
  throw new EectlError(`cluster ${cluster} has no CA yet: no manager has ${HOST_CA_CERT}`, {
    code: 'ENO_CA',
    kind: 'user',
    exitCode: ExitCode.failure,
    suggestions: [
      'Run `eectl install` first: it creates the cluster CA and the engine API on every manager.',
    ],
  });
}

/** Whether an executable named `name` is on PATH. */
async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** `key=value` for docker's endpoint flag, which is CSV: quoted when the value has a comma or a quote. */
function csvField(key: string, value: string): string {
  const field = `${key}=${value}`;
  return /[",]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Creates (or updates) a docker context for the bundle; the docker CLI copies the TLS files into it. */
async function dockerContext(
  log: Logger,
  name: string,
  dockerHost: string,
  dir: string,
  description: string,
): Promise<ClientConfigResult['context']> {
  if (!(await onPath('docker'))) {
    return { name, status: 'skipped', reason: 'no docker CLI on PATH' };
  }
  const local = new LocalConnection('localhost', log);
  const endpoint = [
    csvField('host', dockerHost),
    csvField('ca', join(dir, 'ca.pem')),
    csvField('cert', join(dir, 'cert.pem')),
    csvField('key', join(dir, 'key.pem')),
  ].join(',');
  const exists = (await local.exec(['docker', 'context', 'inspect', name], { check: false })).code === 0;
  const verb = exists ? 'update' : 'create';
  await local.exec(['docker', 'context', verb, name, '--description', description, '--docker', endpoint]);
  return { name, status: exists ? 'updated' : 'created' };
}
