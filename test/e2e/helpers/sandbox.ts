import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DockerCli } from '../../../src/lib/sandbox/docker.js';
import { sandboxDown } from '../../../src/lib/sandbox/down.js';
import { runLocal, type LocalResult } from '../../../src/lib/sandbox/exec.js';
import { healHost, partitionHost, runOnHost, startHost, stopHost } from './faults.js';
import type { SandboxDescription, SandboxHost } from '../../../src/lib/sandbox/state.js';
import { recreateSandboxHosts } from './recreate.js';
import { sandboxUp } from '../../../src/lib/actions/sandbox-up.js';
import { RunLog } from '../../../src/lib/util/log.js';

/** A host by hostname ('m1') or as described. */
export type HostRef = string | SandboxHost;

/** The sandbox of one test file, ready once its beforeAll has run. */
export interface SandboxUnderTest {
  readonly description: SandboxDescription;
  readonly name: string;
  readonly clusterFile: string;
  readonly keyPath: string;
  readonly knownHostsFile: string;
  readonly hosts: SandboxHost[];
  host(ref: HostRef): SandboxHost;
  /**
   * Runs a bash script on the host as root through `docker exec` (the test's own view of the host);
   * `args` are its positional parameters, so values stay out of the script's text.
   */
  exec(
    ref: HostRef,
    script: string,
    options?: { check?: boolean; timeoutMs?: number; args?: readonly string[] },
  ): Promise<LocalResult>;
  /** A real SSH login from this machine with the sandbox key and strict host key checking. */
  ssh(
    ref: HostRef,
    command: string,
    options?: { user?: string; knownHostsFile?: string },
  ): Promise<LocalResult>;
  /** Copies a file of this machine onto the host. */
  copyTo(ref: HostRef, source: string, destination: string): Promise<void>;
  stop(ref: HostRef, options?: { hard?: boolean }): Promise<void>;
  /** Powers the host on and waits for systemd. */
  start(ref: HostRef): Promise<void>;
  /** Cuts the host off the network (from everyone, or from `peers` only); `heal` undoes it. */
  partition(ref: HostRef, options?: { peers?: string[] }): Promise<void>;
  heal(ref: HostRef): Promise<void>;
  /** Replaces every host with a fresh machine at the same address (new disks, new host keys). */
  recreateHosts(): Promise<void>;
}

export interface UseSandboxOptions {
  managers?: number;
  workers?: number;
  registries?: number;
  /** Unique per test file, e.g. `swarm`; the sandbox is named `e2e-<run>-swarm` (see uniqueSandboxName). */
  name: string;
  /** 100: hosts from .111 instead of .11 (another site's last octets). */
  addressBase?: 0 | 100;
}

/**
 * Brings up a sandbox in beforeAll (through the library, not the CLI) and always removes it in afterAll,
 * also when tests or the setup failed. EECTL_HOME points at a temporary directory unless set, so tests
 * never touch the user's ~/.eectl; the cache in /var/cache/eectl-sandbox is shared. The debug log of each
 * sandbox goes to $TMPDIR/eectl-e2e-logs/.
 */
export function useSandbox(options: UseSandboxOptions): SandboxUnderTest {
  const name = uniqueSandboxName(options.name);
  let description: SandboxDescription | undefined;
  let ownHome: string | undefined;
  const runLog = new RunLog('warn');
  const logger = runLog.logger(name);
  const docker = new DockerCli({ logger });

  beforeAll(async () => {
    if (!process.env.EECTL_HOME) {
      ownHome = mkdtempSync(join(tmpdir(), 'eectl-e2e-'));
      process.env.EECTL_HOME = ownHome;
    }
    // Outside the temporary home, so a failed run's log survives afterAll.
    runLog.openFile(join(tmpdir(), 'eectl-e2e-logs'), name);
    description = await sandboxUp({
      name,
      managers: options.managers ?? 1,
      workers: options.workers ?? 0,
      registries: options.registries ?? 0,
      addressBase: options.addressBase ?? 0,
      mode: 'plain',
      logger,
    });
  });

  afterAll(async () => {
    try {
      await sandboxDown(name, { logger });
    } finally {
      runLog.close();
      if (ownHome) {
        delete process.env.EECTL_HOME;
        await rm(ownHome, { recursive: true, force: true });
      }
    }
  });

  const ready = (): SandboxDescription => {
    if (!description) throw new Error(`sandbox ${name} is not up (did its beforeAll fail?)`);
    return description;
  };
  const host = (ref: HostRef): SandboxHost => {
    if (typeof ref !== 'string') return ref;
    const found = ready().hosts.find((h) => h.hostname === ref || h.address === ref);
    if (!found) throw new Error(`sandbox ${name} has no host ${ref}`);
    return found;
  };

  return {
    get description() {
      return ready();
    },
    name,
    get clusterFile() {
      return ready().clusterFile;
    },
    get keyPath() {
      return ready().keyPath;
    },
    get knownHostsFile() {
      return ready().knownHostsFile;
    },
    get hosts() {
      return ready().hosts;
    },
    host,
    exec: (ref, script, execOptions = {}) => runOnHost(docker, host(ref), script, execOptions),
    ssh: (ref, command, sshOptions = {}) => {
      const h = host(ref);
      return runLocal('ssh', sshArgs(ready(), h, command, sshOptions), {
        logger,
        check: false,
        timeoutMs: 120_000,
      });
    },
    copyTo: (ref, source, destination) => docker.copyInto(host(ref).container, source, destination),
    stop: (ref, stopOptions) => stopHost(docker, host(ref), stopOptions),
    start: (ref) => startHost(docker, host(ref)),
    partition: (ref, partitionOptions) => partitionHost(docker, host(ref), partitionOptions),
    heal: (ref) => healHost(docker, host(ref)),
    recreateHosts: () => recreateSandboxHosts(docker, ready()),
  };
}

/**
 * `swarm` → `e2e-<run>-swarm`, where the run is EECTL_E2E_RUN (set by .ci/run, which removes the
 * leftovers of its own run by that prefix) or else this process: two runs of the suite on one machine
 * never take each other's sandboxes.
 */
export function uniqueSandboxName(label: string): string {
  return `e2e-${process.env.EECTL_E2E_RUN ?? process.pid.toString(36)}-${label}`;
}

/** ssh arguments that use nothing of the user's own SSH setup: the sandbox key and known_hosts only. */
export function sshArgs(
  sandbox: SandboxDescription,
  host: SandboxHost,
  command: string,
  options: { user?: string; knownHostsFile?: string } = {},
): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    sandbox.keyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${options.knownHostsFile ?? sandbox.knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    `${options.user ?? host.user}@${host.address}`,
    command,
  ];
}
