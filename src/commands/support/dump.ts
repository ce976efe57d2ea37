import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { supportDump } from '../../lib/actions/support-dump.js';
import type { SupportDumpResult } from '../../lib/results/support.js';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { defaultArchiveName } from '../../lib/support/layout.js';
import { renderSupportDump } from '../../lib/ui/support-render.js';

export default class SupportDump extends BaseCommand<typeof SupportDump> {
  static override summary = 'Write one archive for a bug report, with every secret redacted';
  static override description = `Collects, from every host in parallel (each within --host-timeout): its facts, \`docker info\`, /etc/docker/daemon.json and the last --journal-lines lines of the journals of docker and, on managers, of eectl's services (eectl-authz, eectl-token, eectl-ingress-watcher); from a manager: the swarm's nodes, services and tasks, with the tasks' errors on their own (swarm/task-errors.txt); the report of \`eectl status --json\`; and eectl's own recent run logs from this machine. Writes them as one .tar.gz (mode 0600); summary.json says what is in it and what could not be read.

Never in it: private keys (the CA's, the API's, the registry's, the token service's signing key), htpasswd, passwords, the registry's http.secret, join tokens. Those files are not read into the dump, and every file passes the redactor with every secret the run knows (the passwords the cluster file names in the environment, the managers' keys and registry secrets, the join tokens, read only to be redacted), raw and encoded (base64 at each offset, hex, URL); a scan then finds none left, or nothing is written.

Changes nothing and takes no cluster lock. A host that cannot be reached, or runs out of time, gets hosts/<host>/ERROR.txt; the dump is still written (exit 0, with a warning).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml -o /tmp/prod-support.tar.gz',
    '<%= config.bin %> <%= command.id %> --journal-lines 5000 --host-timeout 60 --json',
  ];
  static override flags = {
    output: Flags.string({
      char: 'o',
      description: 'Archive file (default ./eectl-support-<cluster>-<time>.tar.gz)',
    }),
    'journal-lines': Flags.integer({
      description: 'Last lines of each journal (docker, eectl services)',
      default: 2000,
      min: 1,
    }),
    'host-timeout': Flags.integer({
      description: 'Seconds a host may take; after that it is noted and the dump goes on',
      default: 30,
      min: 1,
    }),
    'run-logs': Flags.integer({
      description: "How many of eectl's recent run logs (from ~/.eectl/<cluster>/logs) to include",
      default: 10,
      min: 0,
    }),
    ...hostFlags,
  };

  async run(): Promise<SupportDumpResult> {
    const { config } = await this.loadCluster();
    const out = resolve(this.flags.output ?? defaultArchiveName(config.metadata.name, new Date()));
    const hostTimeoutMs = this.flags['host-timeout'] * 1000;
    return this.withSession(
      config.metadata.name,
      this.flags,
      async (session) => {
        const result = await supportDump({
          ...this.actionOptions(config, session, { concurrency: this.flags.concurrency }),
          request: {
            out,
            journalLines: this.flags['journal-lines'],
            hostTimeoutMs,
            runLogs: this.flags['run-logs'],
            ownRunLog: this.runLog.path,
            eectlVersion: this.config.version,
          },
        });
        if (!this.jsonEnabled()) this.log(renderSupportDump(result));
        return result;
      },
      // A dead host is given up quickly: it is noted, not waited for.
      { readyTimeoutMs: Math.min(hostTimeoutMs, 10_000), connectAttempts: 2 },
    );
  }
}
