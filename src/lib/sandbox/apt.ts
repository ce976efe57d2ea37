import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { runLocal } from './exec.js';

/**
 * A private apt configuration on this machine, for fetching .debs for the sandbox's hosts: its own
 * sources (bookworm and trixie), lists, cache and a dpkg status taken from the hosts' root filesystem, so
 * apt resolves what a fresh host needs and the machine's own apt setup is never touched.
 */

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The Debian archives this machine's apt uses; debootstrap and the private apt use the same ones. */
export interface DebianMirrors {
  debian: string;
  security: string | undefined;
}

/** What the machine's apt sources name: `debian` is undefined when no source serves a Debian suite. */
export interface FoundMirrors {
  debian: string | undefined;
  security: string | undefined;
}

/**
 * Finds the machine's Debian mirror in apt source files (one-line `.list` and deb822 `.sources` texts):
 * the first URI serving a plain Debian suite, and the one serving `*-security`.
 */
export function debianMirrorsFrom(sourceTexts: readonly string[]): FoundMirrors {
  const entries = sourceTexts.flatMap(parseSourceEntries);
  const isDebianSuite = (s: string): boolean =>
    /^(bookworm|trixie|bullseye|stable|oldstable)(-updates)?$/.test(s);
  const debian = entries.find((e) => e.suites.some(isDebianSuite))?.uri;
  const security = entries.find((e) => e.suites.some((s) => s.endsWith('-security')))?.uri;
  return { debian: debian && stripSlash(debian), security: security && stripSlash(security) };
}

/** The apt source files of a machine: sources.list, then sources.list.d's *.list and deb822 *.sources. */
export function aptSourceTexts(root = '/etc/apt'): string[] {
  const texts: string[] = [];
  const read = (path: string): void => {
    if (existsSync(path)) texts.push(readFileSync(path, 'utf8'));
  };
  read(join(root, 'sources.list'));
  const dir = join(root, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) read(join(dir, f));
  }
  return texts;
}

/**
 * The Debian archive to build the sandbox from: `--mirror` (or EECTL_SANDBOX_DEBIAN_MIRROR), else the one
 * this machine's apt uses. Asked only when something is built (a warm cache needs no mirror); with
 * neither, that is a usage error naming both ways to give one, never a guessed public address.
 */
export function machineDebianMirrors(
  options: { mirror?: string | undefined; sourceTexts?: readonly string[] } = {},
): DebianMirrors {
  const found = debianMirrorsFrom(options.sourceTexts ?? aptSourceTexts());
  const chosen = options.mirror ?? process.env.EECTL_SANDBOX_DEBIAN_MIRROR;
  const debian = chosen ? stripSlash(chosen) : found.debian;
  return {
    get debian(): string {
      if (debian) return debian;
      throw new UsageError(
        "no Debian mirror to build the sandbox from: this machine's apt sources name none",
        {
          code: 'ENOMIRROR',
          suggestions: [
            'Name one: eectl sandbox up --mirror http://YOUR-MIRROR/debian (or EECTL_SANDBOX_DEBIAN_MIRROR).',
            'Or add a Debian source to /etc/apt/sources.list.d/ (one-line .list or deb822 .sources).',
          ],
        },
      );
    },
    security: found.security,
  };
}

function parseSourceEntries(text: string): { uri: string; suites: string[] }[] {
  const entries: { uri: string; suites: string[] }[] = [];
  // deb822 stanzas: fields URIs / Suites / Types / Enabled.
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
    const uris = field('URIs');
    if (uris && /\bdeb\b/.test(field('Types') ?? '') && field('Enabled') !== 'no') {
      const suites = (field('Suites') ?? '').split(/\s+/);
      for (const uri of uris.split(/\s+/)) entries.push({ uri, suites });
    }
  }
  // One-line format: deb [options] uri suite components…
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m?.[1] && m[2]) entries.push({ uri: m[1], suites: [m[2]] });
  }
  return entries;
}

const stripSlash = (uri: string): string => uri.replace(/\/+$/, '');

/** The private sources: bookworm (with updates and security, as a real host has) and trixie. */
export function privateSourcesList(mirrors: DebianMirrors): string {
  const line = (uri: string, suite: string): string => `deb [signed-by=${KEYRING}] ${uri} ${suite} main`;
  return [
    line(mirrors.debian, 'bookworm'),
    line(mirrors.debian, 'bookworm-updates'),
    ...(mirrors.security ? [line(mirrors.security, 'bookworm-security')] : []),
    line(mirrors.debian, 'trixie'),
    '',
  ].join('\n');
}

/** apt-get options that confine apt to the workspace `dir` and resolve against `statusFile`. */
export function privateAptOptions(dir: string, statusFile: string): string[] {
  const options: Record<string, string> = {
    'Dir::Etc::SourceList': join(dir, 'sources.list'),
    'Dir::Etc::SourceParts': join(dir, 'sources.list.d'),
    'Dir::Etc::Preferences': join(dir, 'preferences'),
    'Dir::Etc::PreferencesParts': join(dir, 'preferences.d'),
    'Dir::State::Lists': join(dir, 'lists'),
    'Dir::State::status': statusFile,
    'Dir::State::extended_states': join(dir, 'extended_states'),
    'Dir::Cache': join(dir, 'cache'),
    'Dir::Cache::archives': join(dir, 'archives'),
    // Dependencies come from bookworm unless a package is asked for as name/trixie.
    'APT::Default-Release': 'bookworm',
    'Acquire::Languages': 'none',
    'Debug::NoLocking': 'true',
    // The workspace belongs to root; apt's _apt download user could not write to it.
    'APT::Sandbox::User': 'root',
  };
  return Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** The private apt configuration living in `dir`. */
export class AptWorkspace {
  constructor(
    readonly dir: string,
    private readonly statusFile: string,
    private readonly logger: Logger,
  ) {}

  /** Downloaded .debs land here. */
  get archives(): string {
    return join(this.dir, 'archives');
  }

  /** Writes the configuration and fetches the package lists. */
  async update(mirrors: DebianMirrors, onLine?: (line: string) => void): Promise<void> {
    for (const sub of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache', 'archives/partial']) {
      await mkdir(join(this.dir, sub), { recursive: true });
    }
    await writeFile(join(this.dir, 'sources.list'), privateSourcesList(mirrors));
    await this.aptGet(['update'], onLine);
  }

  /** Downloads `packages` and everything a fresh host needs to install them (Recommends included). */
  async downloadWithDependencies(packages: string[], onLine?: (line: string) => void): Promise<void> {
    await this.aptGet(['install', '--yes', '--download-only', ...packages], onLine);
  }

  /** Downloads exactly these packages (`name` or `name/suite`), no dependencies, into `destination`. */
  async downloadOnly(
    packages: string[],
    destination: string,
    onLine?: (line: string) => void,
  ): Promise<void> {
    await mkdir(destination, { recursive: true });
    await this.aptGet(['download', ...packages], onLine, destination);
  }

  private async aptGet(args: string[], onLine?: (line: string) => void, cwd?: string): Promise<void> {
    await runLocal('apt-get', [...privateAptOptions(this.dir, this.statusFile), ...args], {
      logger: this.logger,
      timeoutMs: 900_000,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      ...(cwd === undefined ? {} : { cwd }),
      ...(onLine === undefined ? {} : { onLine }),
      missing: {
        message: 'apt-get is not on this machine: the sandbox is built on Debian (or Ubuntu)',
        suggestions: ['Run eectl sandbox on a Debian 12 machine.'],
      },
    });
  }
}

/**
 * The apt source of a sandbox host: the sandbox mirror only (the hosts reach nothing else), under its
 * second name (`debian-host`, the same repository): apt refuses one source with two trust settings, and
 * eectl's own line for `debian` checks the signature with engine.repoKey.
 */
export function hostAptSources(mirrorUrl: string): string {
  const url = mirrorUrl.replace(/\/debian$/, '/debian-host');
  return `# The eectl sandbox's package mirror on this network's gateway (eectl's own source checks its signature).\ndeb [trusted=yes] ${url} bookworm main\n`;
}
