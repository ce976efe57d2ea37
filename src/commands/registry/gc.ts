import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { registryGc } from '../../lib/actions/registry.js';
import type { RegistryGcResult } from '../../lib/results/registry.js';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { renderGcSummary } from '../../lib/ui/registry-render.js';
import { systemdSchedule } from '../../lib/ui/systemd-schedule.js';

/** When a scheduled gc runs unless --on-calendar says otherwise: Sunday night, when pushes are rare. */
const WEEKLY = 'Sun *-*-* 03:00:00';

export default class RegistryGc extends BaseCommand<typeof RegistryGc> {
  static override summary =
    "Free the registry's storage of blobs no manifest uses, with pulls served throughout";
  static override description = `Runs Distribution's own collector (registry garbage-collect) inside a running replica, against the shared storage. The collector must not run while pushes are possible, so first every replica is switched to read-only mode (storage.maintenance.readonly), one at a time by a rolling update of the eectl-registry service (the others serve while one restarts; each answers /v2/ before the run goes on), then the run waits until no upload is being written, collects, and returns every replica to read-write the same way: also when the collector fails. Pulls keep working throughout; a push in the window is refused by the registry (HTTP 405). Reports what was freed (blobs from the collector's output, bytes from the storage's size before and after) and how long pushes were refused.

Deleted tags (eectl registry prune, or DELETE through the API) free space only after gc. --delete-untagged also deletes manifests no tag points at (images pushed by digest only are lost). Refused (exit 2, nothing changed) when the storage is a filesystem path that is not shared and more than one replica runs. --dry-run runs the collector's own --dry-run (it reads and reports, deletes nothing) and lists the rolls; --schedule prints a systemd service and timer that run gc, and changes nothing.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --delete-untagged --yes --json',
    "<%= config.bin %> <%= command.id %> --schedule --on-calendar 'Sun *-*-* 03:00:00' > eectl-registry-gc.units",
  ];
  static override flags = {
    'delete-untagged': Flags.boolean({
      description: 'Also delete manifests no tag points at (the collector’s --delete-untagged)',
    }),
    schedule: Flags.boolean({
      description: 'Print a systemd service and timer that run this gc on a calendar; change nothing',
    }),
    'on-calendar': Flags.string({
      description: `With --schedule: when it runs (a systemd calendar expression; default '${WEEKLY}')`,
      dependsOn: ['schedule'],
    }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<RegistryGcResult | { schedule: string }> {
    const { config, path } = await this.loadCluster();
    if (this.flags.schedule) {
      const schedule = systemdSchedule({
        unit: `eectl-registry-gc-${config.metadata.name}`,
        description: `eectl registry gc of cluster ${config.metadata.name}`,
        command: [
          realpathSync(process.argv[1] ?? this.config.bin),
          'registry',
          'gc',
          '-c',
          resolve(path),
          '--yes',
          ...(this.flags['delete-untagged'] ? ['--delete-untagged'] : []),
        ],
        onCalendar: this.flags['on-calendar'] ?? WEEKLY,
      });
      if (!this.jsonEnabled()) this.log(schedule);
      return { schedule };
    }
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await registryGc({
        ...this.actionOptions(config, session, this.flags),
        deleteUntagged: this.flags['delete-untagged'],
        confirm: (replicas) =>
          this.confirmOrStop(
            `Switch ${replicas} registry replica(s) to read-only (pushes refused, pulls served) and collect garbage?`,
            this.flags.yes,
            {
              message: 'registry gc refuses pushes for a while; without a terminal, confirm with --yes',
              suggestions: [`${this.config.bin} registry gc ${this.argv.join(' ')} --yes`],
            },
          ),
      });
      if (!this.jsonEnabled()) this.log(renderGcSummary(result));
      return result;
    });
  }
}
