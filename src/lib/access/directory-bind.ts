import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { DirectoryConnection } from './model.js';

/**
 * A directory user's password, checked by a simple bind as their DN over TLS (ldaps:// or StartTLS,
 * against the policy's CA). The password is never stored or logged; an unreachable directory refuses.
 */

export type BindResult =
  | { ok: true }
  /** The directory said no (invalid credentials): a wrong password or a gone account. */
  | { ok: false; wrongPassword: true; why: string }
  /** The directory could not be asked: refused all the same (fail closed). */
  | { ok: false; wrongPassword: false; why: string };

/** The TLS options for the directory, or why the connection is refused. */
export function directoryTls(directory: DirectoryConnection): ConnectionOptions | string {
  const url = new URL(directory.url);
  if (url.protocol === 'ldap:' && !directory.startTLS && !directory.insecure) {
    return `${directory.url} is ldap:// without StartTLS, and the policy does not say insecure: refused`;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    ...(directory.caPem !== undefined && { ca: [directory.caPem] }),
    ...(isIP(host) === 0 && { servername: host }),
    minVersion: 'TLSv1.2',
  };
}

/** Binds as `dn` with `password` and unbinds; never throws. */
export async function directoryBind(
  directory: DirectoryConnection,
  dn: string,
  password: string,
): Promise<BindResult> {
  // An empty password is an unauthenticated bind (RFC 4513 5.1.2), which directories answer with success.
  if (password === '') return { ok: false, wrongPassword: true, why: 'empty password' };
  const tls = directoryTls(directory);
  if (typeof tls === 'string') return { ok: false, wrongPassword: false, why: tls };
  const timeout = directory.timeoutSeconds * 1000;
  const ldaps = directory.url.startsWith('ldaps:');
  // ldapts speaks TLS from the first byte whenever it has tlsOptions, even to ldap://: StartTLS without them.
  const client = new Client({
    url: directory.url,
    timeout,
    connectTimeout: timeout,
    ...(ldaps && { tlsOptions: tls }),
    strictDN: true,
  });
  try {
    if (!ldaps && directory.startTLS) await client.startTLS(tls);
    await client.bind(dn, password);
    return { ok: true };
  } catch (error) {
    if (error instanceof InvalidCredentialsError) {
      return { ok: false, wrongPassword: true, why: 'the directory refused the password' };
    }
    return {
      ok: false,
      wrongPassword: false,
      why: `the directory ${directory.url} could not be asked (${(error as Error).message})`,
    };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
