import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { HostDocker } from '../../../src/lib/swarm/docker.js';
import { Host } from '../../../src/lib/host/host.js';
import { probeManagersArgv } from '../../../src/lib/phases/preflight.js';
import { readRegistryState } from '../../../src/lib/registry/state.js';
import { LocalConnection } from '../../../src/lib/ssh/local-connection.js';
import type { Logger } from '../../../src/lib/util/log.js';
import { clearSecrets } from '../../../src/lib/util/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'eectl-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => clearSecrets());

/** A logger that keeps every line, as the run log would write it. */
function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (): Logger & { lines: string[] } => ({
    lines,
    error: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    info: (m) => lines.push(m),
    debug: (m) => lines.push(m),
    child: () => make(),
  });
  return make();
}

const spec: HostSpec = { address: 'localhost', role: 'worker', ssh: {}, localhost: true, labels: {} };

describe('the preflight reachability probe', () => {
  it('takes addresses as arguments: shell syntax in one runs nothing', async () => {
    const pwned = join(dir, 'pwned');
    const hostile = `127.0.0.1/1; touch ${pwned}; #`;
    const [file, ...args] = probeManagersArgv([hostile, '127.0.0.1']);
    const r = await execa(file!, args, { reject: false, timeout: 30_000 });
    expect(existsSync(pwned)).toBe(false);
    // Nothing listens on 2377 here: the plain address is refused, the hostile one is no address at all.
    expect(r.stdout.split('\n')).toContain('127.0.0.1 refused');
  });
});

describe('secret output', () => {
  it('is returned but never logged when a command says its stdout is secret', async () => {
    const log = capture();
    const conn = new LocalConnection('localhost', log);
    const secretFile = join(dir, 'secret.b64');
    writeFileSync(secretFile, 'c2VjcmV0LWtleS1ieXRlcw==\n');
    const r = await conn.exec(['sh', '-c', 'cat "$1"; echo visible >&2', 'sh', secretFile], {
      secretOutput: true,
    });
    expect(r.stdout).toBe('c2VjcmV0LWtleS1ieXRlcw==\n');
    expect(log.lines.join('\n')).not.toContain('c2VjcmV0LWtleS1ieXRlcw');
    expect(log.lines.join('\n')).toContain('visible');
    // The same command without the option is logged (so the test above tests the option).
    await conn.exec(['cat', secretFile]);
    expect(log.lines.join('\n')).toContain('c2VjcmV0LWtleS1ieXRlcw');
  });

  it('covers the registry state read: its base64 of keys and passwords reaches no log line', async () => {
    let options: unknown;
    const host = {
      name: 'm1',
      sudo: (_argv: string[], opts: unknown) => {
        options = opts;
        return Promise.resolve({ code: 0, stdout: '', stderr: '' });
      },
    } as unknown as Host;
    await readRegistryState(host);
    expect(options).toMatchObject({ secretOutput: true });
  });
});

describe('swarm join', () => {
  it('puts the join token in no argv: it travels in the API request body on stdin', async () => {
    // Stand-ins for curl and docker that record their argv and stdin, as /proc/PID/cmdline would show them.
    const bin = join(dir, 'bin');
    const record = join(dir, 'record');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['curl', 'docker']) {
      const script = `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> ${record}.argv\ncat >> ${record}.stdin\nprintf '\\n200\\n'\n`;
      writeFileSync(join(bin, tool), script);
      chmodSync(join(bin, tool), 0o755);
    }
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const log = capture();
      const host = new Host(spec, new LocalConnection('localhost', log));
      const token = 'SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcde-fghijklmnopqrstuvwxy';
      await new HostDocker(host).swarmJoin({ token, managerAddr: '10.0.0.11', advertiseAddr: '10.0.0.21' });
      const argv = readFileSync(`${record}.argv`, 'utf8');
      expect(argv).toContain('curl ');
      expect(argv).toContain('http://localhost/swarm/join');
      expect(argv).not.toContain(token);
      expect(JSON.parse(readFileSync(`${record}.stdin`, 'utf8'))).toEqual({
        ListenAddr: '10.0.0.21:2377',
        AdvertiseAddr: '10.0.0.21',
        RemoteAddrs: ['10.0.0.11:2377'],
        JoinToken: token,
      });
      expect(log.lines.join('\n')).not.toContain(token);
    } finally {
      process.env.PATH = path;
    }
  });
});
