import { userInfo } from 'node:os';
import { AUTHZ_NODE, TOKEN_ENTRY } from '../host-layout.js';
import { EectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { BearerChallenge } from '../images/registry-client.js';
import { addSecret } from '../util/redact.js';
import type { TokenAuthSettings } from './token-auth.js';

/**
 * eectl's own registry tokens under token auth, when this machine has no registry login (`registry ls`,
 * `registry prune`): minted ON a manager by its token service's one-shot `mint` mode, run as root over
 * SSH with the request on stdin. The token-signing key never leaves the manager; the manager admits only
 * the catalog and pull and delete for this registry's service, signs a 60 s token and writes its audit
 * line to the journal (`eectl access log`) before it answers.
 */

/** Who asks, in the token and the audit log: `eectl-admin@<the user running eectl here>`. */
export function ownTokenSubject(user: string = localUser()): string {
  const name = user.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `eectl-admin@${name || 'unknown'}`;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A token for the scope a registry challenge names, minted on `manager`; registered for redaction. */
export async function mintOnManager(
  manager: Host,
  settings: Pick<TokenAuthSettings, 'service'>,
  challenge: BearerChallenge,
  subject: string = ownTokenSubject(),
): Promise<string> {
  const host = manager.spec.address;
  if (challenge.service !== settings.service) {
    throw new EectlError(
      `the registry asks for tokens of ${challenge.service}, not of this cluster's ${settings.service}: refused`,
      { code: 'EREGISTRY_TOKEN', kind: 'external' },
    );
  }
  const scopes = (challenge.scope ?? '').split(' ').filter((s) => s !== '');
  const r = await manager.conn.exec([AUTHZ_NODE, TOKEN_ENTRY, 'mint'], {
    sudo: true,
    stdin: JSON.stringify({ service: challenge.service, subject, scopes }),
    secretOutput: true,
    check: false,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new EectlError(
      `${host}: the token service did not mint eectl's token (exit ${r.code}): ${r.stderr.trim() || 'no reason given'}`,
      {
        code: 'EREGISTRY_TOKEN',
        kind: 'external',
        host,
        suggestions: [
          'Run eectl install: it installs the token service (with its mint mode) and the signing key on every manager.',
          'Or log in to the registry on this machine (docker login, or EECTL_REGISTRY_USERNAME/PASSWORD).',
        ],
      },
    );
  }
  let token: unknown;
  try {
    token = (JSON.parse(r.stdout) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') {
    throw new EectlError(`${host}: the token service's mint answered without a token`, {
      code: 'EREGISTRY_TOKEN',
      kind: 'external',
      host,
    });
  }
  addSecret(token);
  return token;
}
