import bcrypt from 'bcryptjs';

/** bcrypt's cost: Distribution verifies every request's password with it, so not higher. */
const BCRYPT_ROUNDS = 10;

/** A registry user with the password taken from the environment. */
export interface RegistryUser {
  name: string;
  password: string;
}

/** `name:hash` lines of an htpasswd file, by user name. */
export function parseHtpasswd(text: string | undefined): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) hashes.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return hashes;
}

/**
 * The htpasswd file (bcrypt, which Distribution requires) for `users`. A user's hash from `previous` is
 * kept when it still verifies the password: bcrypt salts every hash, so hashing again would change the
 * file, its secret's name and so every replica on every run.
 */
export async function htpasswdFile(users: readonly RegistryUser[], previous?: string): Promise<string> {
  const known = parseHtpasswd(previous);
  const lines: string[] = [];
  for (const user of users) {
    const old = known.get(user.name);
    const hash =
      old !== undefined && (await bcrypt.compare(user.password, old))
        ? old
        : await bcrypt.hash(user.password, BCRYPT_ROUNDS);
    lines.push(`${user.name}:${hash}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether `password` is the one `name` has in the htpasswd text. */
export async function htpasswdVerifies(text: string, name: string, password: string): Promise<boolean> {
  const hash = parseHtpasswd(text).get(name);
  return hash !== undefined && bcrypt.compare(password, hash);
}
