import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from './ca-store.js';

/** What goes into a client bundle. */
export interface BundleInput {
  cluster: string;
  user: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** `tcp://host:port` of the engine API the environment files point at. */
  dockerHost: string;
  /** Absolute directory the bundle is written to (env.sh names it). */
  dir: string;
  expires: Date;
}

/** One file of a bundle, with its mode: the key is 0600, the rest is public. */
export interface BundleFile {
  name: string;
  content: string;
  mode: number;
}

/** `'…'` for POSIX sh: single quotes, with each inner quote closed, escaped and reopened. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `"…"` for PowerShell: a double-quoted string with its own escapes. */
function psQuote(value: string): string {
  return `"${value.replace(/[`"$]/g, (c) => `\`${c}`)}"`;
}

/**
 * The files of a client bundle, after Docker Enterprise's: ca.pem, cert.pem, key.pem and two environment
 * files that point the docker CLI at the cluster with mutual TLS. env.ps1 finds the certificates next to
 * itself, so the bundle can be copied to a Windows machine; env.sh names the directory it was written to.
 */
export function bundleFiles(input: BundleInput): BundleFile[] {
  const header = `eectl client bundle: cluster ${input.cluster}, user ${input.user}, valid until ${input.expires.toISOString().slice(0, 10)}`;
  const envSh = [
    `# ${header}`,
    `# Use it with:  . ${join(input.dir, 'env.sh')}`,
    `export DOCKER_HOST=${shQuote(input.dockerHost)}`,
    'export DOCKER_TLS_VERIFY=1',
    `export DOCKER_CERT_PATH=${shQuote(input.dir)}`,
    '',
  ].join('\n');
  const envPs1 = [
    `# ${header}`,
    '# Use it with:  . .\\env.ps1',
    `$Env:DOCKER_HOST = ${psQuote(input.dockerHost)}`,
    '$Env:DOCKER_TLS_VERIFY = "1"',
    '$Env:DOCKER_CERT_PATH = $PSScriptRoot',
    '',
  ].join('\r\n');
  return [
    { name: 'ca.pem', content: input.caPem, mode: 0o644 },
    { name: 'cert.pem', content: input.certPem, mode: 0o644 },
    { name: 'key.pem', content: input.keyPem, mode: 0o600 },
    { name: 'env.sh', content: envSh, mode: 0o644 },
    { name: 'env.ps1', content: envPs1, mode: 0o644 },
  ];
}

/** Writes a bundle into `dir` (created 0700): each file atomically with its mode, the key before the certificate. */
export async function writeBundle(dir: string, files: readonly BundleFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const ordered = [...files].sort((a, b) => Number(b.mode === 0o600) - Number(a.mode === 0o600));
  for (const file of ordered) await writeAtomically(join(dir, file.name), file.content, file.mode);
  return files.map((f) => join(dir, f.name));
}
