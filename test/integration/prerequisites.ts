import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SFTP_SERVER } from '../helpers/ssh-server.js';

/**
 * What the integration tier needs on the machine, checked once before any test file runs (vitest
 * globalSetup): without it, every file's beforeAll would fail and its tests read as "skipped". Missing
 * pieces fail the run here, all named at once, with the Debian package that brings each.
 */
const COMMANDS: Record<string, string> = {
  sudo: 'sudo',
  age: 'age',
  'ssh-agent': 'openssh-client',
  'ssh-add': 'openssh-client',
  useradd: 'passwd',
  tar: 'tar',
  // The backup tests check a manifest's signature without eectl, as the README shows.
  openssl: 'openssl',
};

export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  // The tests run the CLI on the Node running them (process.execPath); bin/run.js refuses one older than 22.
  if (Number(process.versions.node.split('.')[0]) < 22)
    missing.push(
      `Node.js 22 to run the tests (this is ${process.version}): run them with npm test, which uses the Node npm ci installs`,
    );
  if (process.getuid?.() !== 0)
    missing.push('root: the test SSH servers run commands as other users (run as root)');
  if (!existsSync(SFTP_SERVER)) missing.push(`${SFTP_SERVER} (apt-get install openssh-sftp-server)`);
  for (const [command, pkg] of Object.entries(COMMANDS)) {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' });
    } catch {
      missing.push(`${command} (apt-get install ${pkg})`);
    }
  }
  return missing;
}

export default function setup(): void {
  const missing = missingPrerequisites();
  if (missing.length === 0) return;
  throw new Error(
    `the integration tier cannot run on this machine; missing:\n  ${missing.join('\n  ')}\n` +
      'Install them (scripts/test-setup installs everything the tests need) and run again.',
  );
}
