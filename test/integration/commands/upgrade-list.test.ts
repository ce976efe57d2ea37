import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { generateKeyPair, TestSshServer } from '../../helpers/ssh-server.js';
import { Scratch } from '../ssh/fixtures.js';

// `eectl upgrade --list` as built, over a real SSH server that runs its commands with /bin/sh on this
// machine (its facts are this machine's). Only apt-get and apt-cache are stand-ins, first on PATH: the
// test must not refresh this machine's package lists, and it decides what the source offers.

const OFFERED = ['26.1.5+dfsg1-9+deb13u1+b1', '20.10.24+dfsg1-1+deb12u1+b6', '20.10.5+dfsg1-1+deb11u2'];

/** The docker.io this machine has installed (what the facts will say), if any. */
const installed = (() => {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev} ${Version}', 'docker.io'], {
      stdio: 'pipe',
    }).toString();
    return out.startsWith('ii') || out.startsWith('hi') ? out.split(' ').at(-1) : undefined;
  } catch {
    return undefined;
  }
})();

describe('eectl upgrade --list against a real SSH server', () => {
  const scratch = new Scratch();
  const key = generateKeyPair();
  const bin = scratch.path('bin');
  const calls = scratch.path('calls.log');
  let server: TestSshServer;
  let clusterFile: string;
  const home = scratch.path('home');

  beforeAll(async () => {
    mkdirSync(bin, { recursive: true });
    mkdirSync(home, { recursive: true });
    const stub = (name: string, body: string) => {
      scratch.file(`bin/${name}`, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> ${calls}\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('apt-get', 'echo "Reading package lists..."');
    stub(
      'apt-cache',
      [
        '[ "$1" = madison ] || exit 1',
        'shift',
        'for p in "$@"; do',
        '  [ "$p" = docker.io ] || continue',
        ...OFFERED.map(
          (v) => `  echo "  docker.io | ${v} | http://deb.debian.org/debian bookworm/main amd64 Packages"`,
        ),
        '  echo "  docker.io | 20.10.24+dfsg1-1+deb12u1+b6 | http://deb.debian.org/debian bookworm/main Sources"',
        'done',
      ].join('\n'),
    );
    server = await TestSshServer.start({
      authorizedKeys: [key.public],
      rewriteExec: (command) => `PATH=${bin}:$PATH; export PATH; ${command}`,
    });
    const keyPath = scratch.file('id_ed25519', key.private);
    clusterFile = scratch.file(
      'cluster.yaml',
      `apiVersion: eectl/v1
kind: Cluster
metadata: { name: lab }
spec:
  engine: { source: distro, version: "26.1" }
  hosts:
    - address: ${server.host}
      role: manager
      ssh: { user: root, port: ${server.port}, keyPath: ${keyPath} }
`,
    );
  });
  afterAll(async () => {
    await server.close();
    scratch.remove();
  });

  it('lists the versions apt offers, newest first, with the installed and the pinned one, by fixed commands', async () => {
    const r = await runEectl(['upgrade', '--list', '-c', clusterFile, '--json', '--accept-new-host-keys'], {
      env: { HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' },
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = r.json?.result as {
      engineVersion: string;
      versions: { version: string; hosts: string[]; installed: string[]; pinned: string[] }[];
    };
    expect(result.engineVersion).toBe('26.1');
    const offered = result.versions.filter((v) => v.hosts.length > 0);
    expect(offered.map((v) => [v.version, v.hosts])).toEqual(OFFERED.map((v) => [v, [server.host]]));
    expect(result.versions.filter((v) => v.pinned.length > 0).map((v) => v.version)).toEqual([OFFERED[0]]);
    if (installed !== undefined) {
      expect(result.versions.find((v) => v.version === installed)?.installed).toEqual([server.host]);
    }
    // The commands as the host's shell ran them: argv only, no value of the file.
    expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean)).toEqual([
      'apt-get -o DPkg::Lock::Timeout=300 update',
      'apt-cache madison docker.io docker-cli',
    ]);

    const text = await runEectl(['upgrade', '--list', '-c', clusterFile], {
      env: { HOME: home, EECTL_HOME: join(home, '.eectl'), SSH_AUTH_SOCK: '' },
    });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^26\.1\.5 +docker\.io 26\.1\.5\+dfsg1-9\+deb13u1\+b1 +[\d.]+ +pinned: /m);
  });
});
