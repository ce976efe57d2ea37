import { Args, Flags } from '@oclif/core';
import chalk from 'chalk';
import { BaseCommand, hostFlags } from '../lib/base-command.js';
import { execFailedError, execOnHosts, selectHosts, type ExecResult } from '../lib/cluster/exec.js';
import { ROLES } from '../lib/config/schema.js';
import { UsageError } from '../lib/errors.js';

export default class Exec extends BaseCommand<typeof Exec> {
  static override summary = 'Run a command on the chosen hosts in parallel';
  static override description =
    'Each output line is prefixed with its host. Exits 1 when the command failed on any host, naming each. ' +
    "With --json, result.hosts has every host's {host, code, stdout, stderr}, and a failure adds error. " +
    'The command runs in sh on the host; quote it as one argument after --.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> -- uptime',
    "<%= config.bin %> <%= command.id %> --role manager --sudo -- 'docker node ls'",
    '<%= config.bin %> <%= command.id %> --host 10.0.0.21 --json -- df -h /var/lib',
  ];
  static override strict = false;
  static override args = {
    command: Args.string({ description: 'Command to run (after --)', required: true }),
  };
  static override flags = {
    role: Flags.option({
      options: ROLES,
      description: 'Only hosts with this role (repeatable)',
      multiple: true,
    })(),
    host: Flags.string({ description: 'Only this host address (repeatable)', multiple: true }),
    sudo: Flags.boolean({ description: 'Run as root (sudo -n when the SSH user is not root)' }),
    timeout: Flags.integer({ description: 'Seconds before the command is killed on a host', min: 1 }),
    ...hostFlags,
  };

  async run(): Promise<ExecResult> {
    const dashes = this.argv.indexOf('--');
    const command = dashes >= 0 ? this.argv.slice(dashes + 1).join(' ') : this.args.command;
    if (!command.trim()) throw new UsageError('no command given', { suggestions: ['eectl exec -- uptime'] });
    const { config } = await this.loadCluster();
    const hosts = selectHosts(config.spec.hosts, this.flags.role ?? [], this.flags.host ?? []);
    const width = Math.max(...hosts.map((h) => h.address.length));
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const outcomes = await execOnHosts(hosts, session, command, {
        sudo: this.flags.sudo,
        concurrency: this.flags.concurrency,
        timeoutMs: this.flags.timeout === undefined ? undefined : this.flags.timeout * 1000,
        onLine: this.jsonEnabled()
          ? undefined
          : (host, stream, line) => {
              const prefix = chalk.cyan(host.padEnd(width));
              (stream === 'stdout' ? process.stdout : process.stderr).write(`${prefix} | ${line}\n`);
            },
      });
      const result = { hosts: outcomes };
      const failed = execFailedError(outcomes, result);
      if (failed) throw failed;
      return result;
    });
  }
}
