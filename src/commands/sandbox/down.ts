import { Flags } from '@oclif/core';
import { BaseCommand, baseFlagsWithoutConfig } from '../../lib/base-command.js';
import { EectlError, ExitCode } from '../../lib/errors.js';
import { confirmAction } from '../../lib/ui/prompts.js';
import { sandboxDown, type SandboxDownResult } from '../../lib/sandbox/down.js';
import { sandboxList, sandboxesWithPrefix } from '../../lib/sandbox/list.js';
import { DEFAULT_SANDBOX_NAME } from '../../lib/sandbox/state.js';

export default class SandboxDown extends BaseCommand<typeof SandboxDown> {
  static override summary =
    'Remove a sandbox: its containers, volumes, network, mirror server, keys and cluster file';
  static override description = `Removes exactly what \`eectl sandbox up\` made (everything labelled eectl.sandbox=<name>, and ~/.eectl/sandboxes/<name>/ and its known_hosts entries) and nothing else; the cache in /var/cache/eectl-sandbox stays for the next up. Removing a sandbox that does not exist is not an error.

On a terminal it asks first (--yes to skip). Without a terminal (scripts, CI, --json) it never asks: a sandbox is throwaway by design, so no confirmation is needed there.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name dev',
    '<%= config.bin %> <%= command.id %> --all',
    '<%= config.bin %> <%= command.id %> --all --prefix e2e- --yes',
  ];

  static override baseFlags = baseFlagsWithoutConfig;

  static override flags = {
    name: Flags.string({
      description: 'Sandbox to remove',
      default: DEFAULT_SANDBOX_NAME,
      exclusive: ['all'],
    }),
    all: Flags.boolean({ description: 'Remove every sandbox on this machine', default: false }),
    prefix: Flags.string({
      description: 'With --all: only the sandboxes whose name starts with this (CI removes its e2e- ones)',
      dependsOn: ['all'],
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Do not ask on a terminal (without one, nothing is asked)',
    }),
  };

  async run(): Promise<{ removed: SandboxDownResult[] }> {
    const names = this.flags.all
      ? sandboxesWithPrefix(
          (await sandboxList({ logger: this.log_ })).map((s) => s.name),
          this.flags.prefix,
        )
      : [this.flags.name];
    if (names.length > 0 && !this.flags.yes && this.interactive) {
      const what =
        names.length === 1 ? `sandbox "${names[0]}"` : `${names.length} sandboxes (${names.join(', ')})`;
      if (!(await confirmAction(`Remove ${what}: its hosts, volumes, network, keys and cluster file?`))) {
        throw new EectlError('sandbox down cancelled: nothing was removed', {
          code: 'ECANCELLED',
          exitCode: ExitCode.failure,
        });
      }
    }
    const removed: SandboxDownResult[] = [];
    for (const name of names) {
      const result = await sandboxDown(name, { logger: this.log_ });
      removed.push(result);
      if (this.jsonEnabled()) continue;
      const nothing =
        result.containers.length + result.volumes.length + result.networks.length + result.files.length;
      this.log(
        nothing === 0
          ? `No sandbox named "${name}": nothing to remove.`
          : `Removed sandbox "${name}": ${result.containers.length} containers, ${result.volumes.length} volumes, ` +
              `${result.networks.length} network, ${result.files.length === 0 ? 'no files' : result.files.join(', ')}`,
      );
    }
    if (names.length === 0 && !this.jsonEnabled()) this.log('No sandboxes on this machine.');
    return { removed };
  }
}
