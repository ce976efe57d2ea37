import { dirname, join } from 'node:path';
import { Flags } from '@oclif/core';
import { input, select } from '@inquirer/prompts';
import { BaseCommand } from '../lib/base-command.js';
import { EectlError, ExitCode } from '../lib/errors.js';
import {
  answersFromFlags,
  askForAnswers,
  assertCanWrite,
  sshKeyWarning,
  writeClusterFile,
  type GivenAnswers,
} from '../lib/config/init.js';
import { CLUSTER_SCHEMA_REF } from '../lib/config/json-schema.js';
import { ENGINE_SOURCES } from '../lib/config/schema.js';

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Write a new cluster.yaml: asks on a terminal, takes flags otherwise';
  static override description = `On a terminal, asks for the cluster name, the manager, worker and registry addresses, and the SSH user and key; flags given are not asked again. Without a terminal (scripts, CI, --json) the answers come from flags, and every missing one is reported at once (exit 2).

The file is checked as \`eectl config validate\` would before it is written, and an existing file is only replaced with --force. Its first line points editors (yaml-language-server) at ./schema/cluster.schema.json, which init writes beside it, so they complete and check the file offline; a file of another kind at that path is only replaced with --force.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name prod --manager 10.0.0.11 --manager 10.0.0.12 --manager 10.0.0.13 --worker 10.0.0.21 --ssh-user ops --ssh-key ~/.ssh/id_ed25519',
    '<%= config.bin %> <%= command.id %> --name lab --manager 10.0.0.11 --engine-source mirror --repo-url http://mirror.internal/debian --out lab.yaml',
  ];

  static override flags = {
    name: Flags.string({ description: 'Cluster name (lower-case letters, digits, dashes)' }),
    manager: Flags.string({
      description: 'Manager address (repeat for each; use an odd number)',
      multiple: true,
    }),
    worker: Flags.string({ description: 'Worker address (repeat for each)', multiple: true }),
    registry: Flags.string({
      description: 'Registry host address, one replica each (repeat for each)',
      multiple: true,
    }),
    'registry-path': Flags.string({
      description: 'Storage path shared by every registry host (needed with two or more)',
    }),
    'ssh-user': Flags.string({
      description: 'SSH login user for every host (default: ~/.ssh/config, else root)',
    }),
    'ssh-key': Flags.string({ description: 'SSH private key for every host (default: ssh-agent)' }),
    'engine-source': Flags.option({
      options: ENGINE_SOURCES,
      description: 'Where Docker Engine comes from',
    })(),
    'engine-version': Flags.string({ description: 'Engine version or prefix, such as 26.1' }),
    'repo-url': Flags.string({ description: 'Package mirror URL (with --engine-source mirror)' }),
    out: Flags.string({ char: 'o', description: 'File to write (default: the --config path)' }),
    force: Flags.boolean({
      description: 'Overwrite the file if it exists, and a foreign schema/cluster.schema.json beside it',
      default: false,
    }),
  };

  async run(): Promise<{ path: string; hosts: number; schema: string; warnings: string[] }> {
    const f = this.flags;
    const out = f.out ?? f.config;
    assertCanWrite(out, f.force);
    const given: GivenAnswers = {
      name: f.name,
      managers: f.manager ?? [],
      workers: f.worker ?? [],
      registries: f.registry ?? [],
      sshUser: f['ssh-user'],
      sshKey: f['ssh-key'],
      engineSource: f['engine-source'],
      engineVersion: f['engine-version'],
      repoUrl: f['repo-url'],
      registryPath: f['registry-path'],
    };
    const answers = this.interactive
      ? await askForAnswers(given, { input, select }).catch(rethrowInterrupt)
      : answersFromFlags(given);
    await writeClusterFile(out, answers, f.force);
    const hosts = answers.managers.length + answers.workers.length + answers.registries.length;
    const schema = join(dirname(out), CLUSTER_SCHEMA_REF);
    const warnings = [sshKeyWarning(answers.sshKey, out)].filter((w) => w !== undefined);
    for (const warning of warnings) this.log_.warn(warning);
    if (!this.jsonEnabled()) {
      this.log(`Wrote ${out} (${hosts} host${hosts === 1 ? '' : 's'}), and ${schema} for editors.`);
      if (answers.registryPath) {
        this.log(
          `Registry replicas share ${answers.registryPath}: mount the same storage there on every registry host.`,
        );
      }
      this.log(`Next: eectl config validate -c ${out}, then eectl install -c ${out}`);
    }
    return { path: out, hosts, schema, warnings };
  }
}

/** Ctrl-C at a question is an interruption (exit 130), not a bug. */
function rethrowInterrupt(error: unknown): never {
  if (error instanceof Error && error.name === 'ExitPromptError') {
    throw new EectlError('interrupted: nothing was written', {
      code: 'EINTERRUPTED',
      exitCode: ExitCode.interrupted,
    });
  }
  throw error;
}
