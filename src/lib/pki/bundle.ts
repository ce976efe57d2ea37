import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomically } from '../util/exclusive-file.js';

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

/**
 * Writes a bundle into `dir`: each file atomically with its mode, the key before the certificate. A new
 * directory is created 0700. An existing one is never chmodded (`--out /tmp` must not change /tmp): it
 * must be a real directory of this user that no one else can write to, and empty or holding only an
 * earlier bundle's files; otherwise the bundle is refused before anything is written.
 */
export async function writeBundle(dir: string, files: readonly BundleFile[]): Promise<string[]> {
  await checkBundleDir(dir, files);
  const ordered = [...files].sort((a, b) => Number(b.mode === 0o600) - Number(a.mode === 0o600));
  for (const file of ordered) await writeFileAtomically(join(dir, file.name), file.content, file.mode);
  return files.map((f) => join(dir, f.name));
}

async function checkBundleDir(dir: string, files: readonly BundleFile[]): Promise<void> {
  const stat = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!stat) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const refuse = (why: string) =>
    new UsageError(`--out ${dir}: ${why}; nothing was written`, {
      code: 'EBUNDLE_DIR',
      suggestions: [
        `Name a directory that does not exist yet (eectl creates it 0700), e.g. --out ${join(dir, 'bundle')}.`,
      ],
    });
  if (!stat.isDirectory()) throw refuse('not a directory (a symbolic link or a file is not followed)');
  if (process.getuid && stat.uid !== process.getuid()) throw refuse('owned by another user');
  if ((stat.mode & 0o022) !== 0) throw refuse('others can write to it, so they could swap the files');
  const names = new Set(files.map((f) => f.name));
  const others = (await readdir(dir)).filter((n) => !names.has(n));
  if (others.length > 0) {
    throw refuse(
      `not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}) and not an earlier bundle`,
    );
  }
}
