import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SLAPD_BINARY } from '../helpers/slapd.js';
import { CHROMIUM_PATH } from './helpers/browser.js';

/**
 * What the end-to-end tier needs on the machine, checked once before any test file runs (vitest
 * globalSetup): without it every file's beforeAll (its sandbox) fails and its tests read as "skipped", with
 * the cause buried in the first file's output. Missing pieces fail the run here, all named at once, with what
 * brings each. scripts/test-setup installs and starts all of them.
 */
/** Commands run by name (from PATH), as the sandbox and the tests run them, each with its Debian package. */
const COMMANDS: Record<string, string> = {
  docker: 'docker.io',
  debootstrap: 'debootstrap',
  'dpkg-scanpackages': 'dpkg-dev',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  gpg: 'gnupg',
  age: 'age',
  openssl: 'openssl',
};

/** Programs the tests start by their absolute path, each with its Debian package. */
const FILES: Record<string, string> = {
  [SLAPD_BINARY]: 'slapd',
  [CHROMIUM_PATH]: 'chromium',
};

/** The limit every sandbox host's systemd takes inotify instances from (scripts/test-setup raises it). */
export const MIN_INOTIFY_INSTANCES = 8192;

export interface E2eProbe {
  uid: number | undefined;
  has(command: string): boolean;
  /** `docker info` answered. */
  engineAnswers(): boolean;
  /** The file exists (dist/, or a program started by its path). */
  built(path: string): boolean;
  inotifyInstances(): number | undefined;
}

export function missingPrerequisites(probe: E2eProbe): string[] {
  const missing: string[] = [];
  if (probe.uid !== 0)
    missing.push('root: sandbox hosts are containers with their own network namespaces (run as root)');
  for (const [command, pkg] of Object.entries(COMMANDS)) {
    if (!probe.has(command)) missing.push(`${command} (apt-get install ${pkg})`);
  }
  for (const [path, pkg] of Object.entries(FILES)) {
    if (!probe.built(path)) missing.push(`${path} (apt-get install ${pkg})`);
  }
  if (probe.has('docker') && !probe.engineAnswers())
    missing.push('a Docker engine that answers `docker info` (start dockerd, or run scripts/test-setup)');
  // The tests run the CLI from dist/: without a build they would test nothing, or an old build.
  if (!probe.built('dist/commands/sandbox/up.js'))
    missing.push('dist/ (run npm run build; npm run test:e2e builds first)');
  const inotify = probe.inotifyInstances();
  if (inotify !== undefined && inotify < MIN_INOTIFY_INSTANCES)
    missing.push(
      `fs.inotify.max_user_instances ${inotify} < ${MIN_INOTIFY_INSTANCES} (sysctl -w fs.inotify.max_user_instances=${MIN_INOTIFY_INSTANCES})`,
    );
  return missing;
}

function succeeds(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export const machineProbe: E2eProbe = {
  uid: process.getuid?.(),
  has: (command) => succeeds('sh', ['-c', 'command -v "$1"', 'sh', command]),
  engineAnswers: () => succeeds('docker', ['info', '--format', '{{.ServerVersion}}']),
  built: (path) => existsSync(path),
  inotifyInstances: () => {
    try {
      return Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim());
    } catch {
      return undefined;
    }
  },
};

export default function setup(): void {
  const missing = missingPrerequisites(machineProbe);
  if (missing.length === 0) return;
  throw new Error(
    `the end-to-end tier cannot run on this machine; missing:\n  ${missing.join('\n  ')}\n` +
      'Install or start them (scripts/test-setup does all of it) and run again.',
  );
}
