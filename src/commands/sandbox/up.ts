import { Flags } from '@oclif/core';
import { BaseCommand, baseFlagsWithoutConfig } from '../../lib/base-command.js';
import { MAX_PER_ROLE } from '../../lib/sandbox/addresses.js';
import {
  assertSandboxName,
  DEFAULT_SANDBOX_NAME,
  sandboxStateDir,
  type SandboxDescription,
} from '../../lib/sandbox/state.js';
import { sandboxUp } from '../../lib/actions/sandbox-up.js';
import { progressMode } from '../../lib/ui/progress.js';
import { firstWorkloadLines } from '../../lib/sandbox/workload-image.js';
import { join } from 'node:path';

export default class SandboxUp extends BaseCommand<typeof SandboxUp> {
  static override summary =
    'Create throwaway hosts (Debian 12 containers with systemd and sshd) and a cluster file for them';
  static override description = `Needs a Docker engine (DOCKER_HOST or the default socket) and root the first time, when the host image (debootstrap), the package mirror (docker.io 20.10 and 26.1), the registry image and the first workload's image (eectl-sandbox/busybox: a shell and httpd) are built into /var/cache/eectl-sandbox; later runs reuse them. Managers log in as root, the other hosts as "eectl" with sudo. Keys, cluster.yaml and the log go to ~/.eectl/sandboxes/<name>/.\n\nEnvironment: EECTL_SANDBOX_CACHE (another cache directory), EECTL_SANDBOX_DEBIAN_MIRROR (as --mirror). Without --mirror the Debian archive is the one this machine's apt sources name (/etc/apt/sources.list, sources.list.d/*.list and *.sources); with neither, building stops with exit 2.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name dev --managers 1 --workers 1',
    '<%= config.bin %> <%= command.id %> --registries 2 --json',
    '<%= config.bin %> <%= command.id %> --mirror http://mirror.internal/debian',
  ];

  static override baseFlags = baseFlagsWithoutConfig;

  static override flags = {
    name: Flags.string({
      description: 'Sandbox name (also the cluster name)',
      default: DEFAULT_SANDBOX_NAME,
    }),
    managers: Flags.integer({
      description: 'Manager hosts (m1…, root login)',
      default: 3,
      min: 1,
      max: MAX_PER_ROLE,
    }),
    workers: Flags.integer({
      description: 'Worker hosts (w1…, eectl + sudo)',
      default: 2,
      min: 0,
      max: MAX_PER_ROLE,
    }),
    mirror: Flags.string({
      description:
        "Debian archive to build the host image and package mirror from (default: this machine's apt sources)",
      env: 'EECTL_SANDBOX_DEBIAN_MIRROR',
    }),
    registries: Flags.integer({
      description: 'Registry hosts (r1…); with any, the cluster file names the registry image bundle',
      default: 0,
      min: 0,
      max: MAX_PER_ROLE,
    }),
  };

  async run(): Promise<SandboxDescription> {
    const { name, managers, workers, registries, mirror } = this.flags;
    assertSandboxName(name); // before the name becomes a directory for the log
    this.openRunLog(join(sandboxStateDir(name), 'logs'), 'sandbox-up');
    const sandbox = await sandboxUp({
      name,
      managers,
      workers,
      registries,
      ...(mirror === undefined ? {} : { mirror }),
      mode: progressMode(this.jsonEnabled()),
      logger: this.log_,
    });
    if (!this.jsonEnabled()) this.log(summary(sandbox));
    return sandbox;
  }
}

function summary(s: SandboxDescription): string {
  const rows = s.hosts.map(
    (h) => `  ${h.hostname.padEnd(4)} ${h.address.padEnd(13)} ${h.role.padEnd(9)} ssh ${h.user}`,
  );
  return [
    '',
    `Sandbox "${s.name}" is up on ${s.network.name} (${s.network.subnet}):`,
    ...rows,
    `Package mirror: ${s.mirrorUrl}`,
    `Cluster file:   ${s.clusterFile}`,
    '',
    'Next:',
    `  eectl describe hosts -c ${s.clusterFile}`,
    `  eectl install -c ${s.clusterFile}`,
    `  ssh -i ${s.keyPath} -o UserKnownHostsFile=${s.knownHostsFile} root@${s.hosts[0]?.address ?? ''}`,
    ...firstWorkloadLines(s),
    `When done: eectl sandbox down --name ${s.name}`,
  ].join('\n');
}
