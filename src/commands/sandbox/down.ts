import { Flags } from '@oclif/core';
import { BaseCommand, baseFlagsWithoutConfig } from '../../lib/base-command.js';
import { EectlError, ExitCode } from '../../lib/errors.js';
import { confirmAction } from '../../lib/util/prompts.js';
import {
  sandboxDown,
  sandboxLeftovers,
  type SandboxDownResult,
  type SandboxLeftovers,
} from '../../lib/sandbox/down.js';
import { sandboxList, sandboxesWithPrefix } from '../../lib/sandbox/list.js';
import { DEFAULT_SANDBOX_NAME } from '../../lib/sandbox/state.js';

export default class SandboxDown extends BaseCommand<typeof SandboxDown> {
  static override summary =
    'Remove a sandbox: its containers, volumes, network, mirror server, keys, cluster file, docker contexts and ~/.eectl/<name>';
  static override description = `Removes exactly what \`eectl sandbox up\` made (everything labelled eectl.sandbox=<name>, and ~/.eectl/sandboxes/<name>/ and its known_hosts entries) and what using it made on this machine: the docker contexts of its cluster (eectl-<name>-<user>, from client-config) and the cluster's state directory ~/.eectl/<name> (CA key, client bundles, backups, run logs), which it lists first; --keep-state keeps that directory. Nothing else; the cache in /var/cache/eectl-sandbox stays for the next up. Removing a sandbox that does not exist is not an error.

On a terminal it asks first (--yes to skip). Without a terminal (scripts, CI, --json) it never asks: a sandbox is throwaway by design, so no confirmation is needed there.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name dev',
    '<%= config.bin %> <%= command.id %> --name dev --keep-state',
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
    'keep-state': Flags.boolean({
      description:
        "Keep the cluster's state directory ~/.eectl/<name> (CA key, client bundles, backups, run logs)",
      default: false,
    }),
  };

  async run(): Promise<{ removed: SandboxDownResult[] }> {
    const names = this.flags.all
      ? sandboxesWithPrefix(
          (await sandboxList({ logger: this.log_ })).map((s) => s.name),
          this.flags.prefix,
        )
      : [this.flags.name];
    const keepState = this.flags['keep-state'];
    if (names.length > 0 && !this.flags.yes && this.interactive) {
      // Said before the question: what goes besides the hosts, so a backup or a CA key is not lost unseen.
      for (const name of names) {
        const lines = leftoverLines(await sandboxLeftovers(name, { logger: this.log_ }), keepState, false);
        if (lines.length > 0) this.log([`Sandbox "${name}" also has, on this machine:`, ...lines].join('\n'));
      }
      const what =
        names.length === 1 ? `sandbox "${names[0]}"` : `${names.length} sandboxes (${names.join(', ')})`;
      const state = keepState ? ' (~/.eectl/<name> kept)' : ', docker contexts and ~/.eectl/<name>';
      if (
        !(await confirmAction(`Remove ${what}: its hosts, volumes, network, keys and cluster file${state}?`))
      ) {
        throw new EectlError('sandbox down cancelled: nothing was removed', {
          code: 'ECANCELLED',
          exitCode: ExitCode.failure,
        });
      }
    }
    const removed: SandboxDownResult[] = [];
    for (const name of names) {
      const result = await sandboxDown(name, { logger: this.log_, keepState });
      removed.push(result);
      if (this.jsonEnabled()) continue;
      const nothing =
        result.containers.length +
        result.volumes.length +
        result.networks.length +
        result.files.length +
        result.contexts.length;
      this.log(
        nothing === 0 && !result.clusterState
          ? `No sandbox named "${name}": nothing to remove.`
          : [
              `Removed sandbox "${name}": ${result.containers.length} containers, ${result.volumes.length} volumes, ` +
                `${result.networks.length} network, ${result.files.length === 0 ? 'no files' : result.files.join(', ')}`,
              ...leftoverLines(result, keepState, true),
            ].join('\n'),
      );
    }
    if (names.length === 0 && !this.jsonEnabled()) this.log('No sandboxes on this machine.');
    return { removed };
  }
}

/** The contexts and ~/.eectl/<name>, one line each, and whether they go or stay. */
function leftoverLines(l: SandboxLeftovers, keepState: boolean, done: boolean): string[] {
  const lines: string[] = [];
  if (l.contexts.length > 0)
    lines.push(`  docker contexts${done ? ' removed' : ''}: ${l.contexts.join(', ')}`);
  if (l.clusterState) {
    const fate = keepState ? 'kept (--keep-state)' : done ? 'removed' : 'to be removed';
    const held = l.clusterState.entries.length > 0 ? l.clusterState.entries.join(', ') : 'empty';
    lines.push(`  ${l.clusterState.dir}, ${fate}: ${held}`);
  }
  return lines;
}
