import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { joinNode } from '../../lib/actions/node-join.js';
import type { JoinResult } from '../../lib/results/install.js';
import { ClusterFile } from '../../lib/config/cluster-file.js';
import { ROLES } from '../../lib/config/schema.js';
import { progressMode } from '../../lib/ui/progress.js';
import { renderInstallSummary } from '../../lib/ui/install-summary.js';

export default class NodeJoin extends BaseCommand<typeof NodeJoin> {
  static override summary = 'Add a host to the cluster file and join it: engine, trust, certificates, swarm';
  static override description =
    'The same as adding the host to cluster.yaml and running install, which is what it does: the host is ' +
    'added to the file (comments and layout kept) once the edited file is valid and every host passes ' +
    'preflight, then install converges all hosts (the others in a second or two: only what differs ' +
    'changes). If the join fails after that, the host stays in the file and `eectl install` finishes it.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --address 10.0.0.23 --role worker',
    '<%= config.bin %> <%= command.id %> --address 10.0.0.14 --role manager --ssh-user ops --ssh-key ~/.ssh/ops',
    '<%= config.bin %> <%= command.id %> --address 10.0.0.33 --role registry --dry-run',
  ];
  static override flags = {
    address: Flags.string({ description: 'Address eectl connects to over SSH', required: true }),
    role: Flags.option({ options: ROLES, description: 'Its role in the cluster', required: true })(),
    'ssh-user': Flags.string({ description: 'Login user (default: ~/.ssh/config, else root)' }),
    'ssh-key': Flags.string({ description: 'Private key file (default: ssh-agent)' }),
    'ssh-port': Flags.integer({
      description: 'SSH port (default: ~/.ssh/config, else 22)',
      min: 1,
      max: 65535,
    }),
    'private-address': Flags.string({ description: 'Swarm advertise address (detected when absent)' }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<JoinResult> {
    const { config, path } = await this.loadCluster({ showWarnings: true });
    const file = await ClusterFile.read(path);
    const f = this.flags;
    // The file resolves relative key paths against its own folder; the flag was typed relative to here.
    const keyPath = f['ssh-key'] && !f['ssh-key'].startsWith('~') ? resolve(f['ssh-key']) : f['ssh-key'];
    return this.withSession(config.metadata.name, f, async (session) => {
      const result = await joinNode({
        file,
        host: {
          address: f.address,
          role: f.role,
          ssh: { user: f['ssh-user'], port: f['ssh-port'], keyPath },
          privateAddress: f['private-address'],
        },
        session,
        log: this.log_,
        dryRun: f['dry-run'] === true,
        concurrency: f.concurrency,
        progress: progressMode(this.jsonEnabled()),
        signal: this.interrupt.signal,
        onFileWritten: (message) => {
          if (!this.jsonEnabled()) process.stderr.write(`${message}\n`);
        },
      });
      if (!this.jsonEnabled()) this.log(renderJoin(result));
      return result;
    });
  }
}

function renderJoin(r: JoinResult): string {
  const head = r.dryRun
    ? r.file.changed
      ? `Dry run: ${r.address} (${r.role}) would be added to ${r.file.path}, then:`
      : `Dry run: ${r.address} is in ${r.file.path} already; install would:`
    : r.file.changed
      ? `${r.address} joined as a ${r.role}; it was added to ${r.file.path}.`
      : `${r.address} (${r.role}) was in ${r.file.path} already; the cluster is converged.`;
  return `${head}\n\n${renderInstallSummary(r.install)}`;
}
