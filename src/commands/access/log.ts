import { Flags } from '@oclif/core';
import { accessLog, parseSince } from '../../lib/actions/access.js';
import type { AccessLogResult } from '../../lib/results/access.js';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';

export default class AccessLog extends BaseCommand<typeof AccessLog> {
  static override summary = 'The audit log of access decisions, gathered from every manager';
  static override description = `Every manager's authorization plugin writes one JSON line per decision (time, user, method, path, resource, allow or deny, reason) to journald (unit eectl-authz). With registry token authentication, the token service (unit eectl-token) writes one line per token issued or refused (path /token: user, how they signed in, address, scopes asked and granted, reason), read here too. This reads them over SSH from every manager, filters them and merges them by time. Requests on a manager's local socket appear as "(local socket)".`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --denied --since 1h',
    '<%= config.bin %> <%= command.id %> --user dev --since 2026-12-01T18:00:00Z --json',
    '<%= config.bin %> <%= command.id %> --user alice --denied --since 1h   # refused registry logins too',
  ];
  static override flags = {
    user: Flags.string({ description: 'Only the decisions on requests of this user' }),
    since: Flags.string({ description: 'From this time (ISO 8601) or this long ago (30s, 15m, 2h, 7d)' }),
    denied: Flags.boolean({ description: 'Only refusals', default: false }),
    host: Flags.string({ description: 'Only this manager' }),
    ...hostFlags,
  };

  async run(): Promise<AccessLogResult> {
    const { config } = await this.loadCluster();
    const since = this.flags.since === undefined ? undefined : parseSince(this.flags.since);
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await accessLog(
        { config, session, log: this.log_, host: this.flags.host, concurrency: this.flags.concurrency },
        { user: this.flags.user, since, denied: this.flags.denied },
      );
      if (!this.jsonEnabled()) {
        for (const e of result.entries) {
          this.log(
            `${e.time} ${e.host} ${e.allow ? 'allow' : 'DENY '} ${e.user} ${e.method} ${e.path} — ${e.resource}: ${e.reason}`,
          );
        }
        for (const u of result.unreachable) this.warn(`${u.host}: not read (${u.error})`);
        if (result.entries.length === 0) this.log('No decisions match.');
      }
      return result;
    });
  }
}
