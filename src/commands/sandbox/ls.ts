import { BaseCommand, baseFlagsWithoutConfig } from '../../lib/base-command.js';
import { sandboxList, type ListedSandbox } from '../../lib/sandbox/list.js';

export default class SandboxLs extends BaseCommand<typeof SandboxLs> {
  static override summary = 'List the sandboxes on this machine and their hosts';
  static override description = `Finds sandboxes by the eectl.sandbox label on the Docker engine and by their state in ~/.eectl/sandboxes/; a sandbox marked incomplete lost a part (an interrupted up): remove it with \`eectl sandbox down --name <name>\`.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  static override baseFlags = baseFlagsWithoutConfig;

  async run(): Promise<{ sandboxes: ListedSandbox[] }> {
    const sandboxes = await sandboxList({ logger: this.log_ });
    if (!this.jsonEnabled()) this.log(render(sandboxes));
    return { sandboxes };
  }
}

function render(sandboxes: ListedSandbox[]): string {
  if (sandboxes.length === 0) return 'No sandboxes. Make one with: eectl sandbox up';
  return sandboxes
    .map((s) => {
      const head = `${s.name}${s.complete ? '' : ' (incomplete)'}  ${s.network ? `${s.network.name} ${s.network.subnet}` : ''}  mirror ${s.mirror}`;
      const hosts = s.hosts.map(
        (h) =>
          `  ${h.hostname.padEnd(4)} ${h.address.padEnd(13)} ${h.role.padEnd(9)} ${h.user.padEnd(6)} ${h.state}`,
      );
      return [head, ...hosts, ...(s.clusterFile ? [`  cluster file: ${s.clusterFile}`] : [])].join('\n');
    })
    .join('\n\n');
}
