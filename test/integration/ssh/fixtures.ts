import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import type { ConnectOptions } from '../../../src/lib/ssh/connect.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import type { TestSshServer } from '../../helpers/ssh-server.js';

/** A private scratch directory per test file: keys, known_hosts files, ssh config. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'eectl-ssh-test-'));

  file(name: string, content: string, mode = 0o600): string {
    const path = join(this.dir, name);
    writeFileSync(path, content, { mode });
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A cluster.yaml host entry for a test server. */
export function hostFor(server: TestSshServer, ssh: HostSpec['ssh'] = {}, address = server.host): HostSpec {
  return { address, role: 'worker', ssh: { port: server.port, ...ssh }, localhost: false, labels: {} };
}

/**
 * Connect options isolated from the machine's own ~/.ssh: no ssh config, no user known_hosts, no agent
 * unless a test gives one, fast retries.
 */
export function isolatedOptions(scratch: Scratch, overrides: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    knownHostsPath: scratch.path('cluster_known_hosts'),
    knownHostsPaths: [],
    acceptNewHostKeys: false,
    log: nullLogger,
    sshConfigPath: scratch.path('no-ssh-config'),
    env: {},
    connectAttempts: 1,
    retryDelayMs: 50,
    readyTimeoutMs: 10_000,
    ...overrides,
  };
}

/** Writes a cluster known_hosts file that trusts these servers. */
export function trust(scratch: Scratch, ...servers: TestSshServer[]): string {
  return scratch.file('cluster_known_hosts', servers.map((s) => `${s.knownHostsLine()}\n`).join(''));
}
