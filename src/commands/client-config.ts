import { Flags } from '@oclif/core';
import { clientConfig } from '../lib/actions/client-config.js';
import type { ClientConfigResult } from '../lib/results/access.js';
import { BaseCommand, hostFlags } from '../lib/base-command.js';

export default class ClientConfig extends BaseCommand<typeof ClientConfig> {
  static override summary = 'Write a client bundle (CA, certificate, key, env.sh) and a docker context';
  static override description = `Issues a client certificate (CN = the user) from the cluster CA and writes ca.pem, cert.pem, key.pem (0600), env.sh and env.ps1 to --out (default ~/.eectl/<cluster>/bundles/<user>, mode 0700). With a docker CLI on PATH it also creates or updates the docker context --context (default eectl-<cluster>-<user>).

The CA comes from controlPlane.ca when the file names one (its key never leaves this machine), else from ~/.eectl/<cluster>/pki (install keeps the generated CA there), else from the first manager that has it in /etc/eectl/pki (kept here from then on).

With spec.access in the file, --user must be one of spec.access.users (default: the first admin), and what the bundle may do is what the grants say (the managers' authorization plugin decides). Without spec.access, any valid client certificate can use the whole engine API: hand bundles out as you would root access to the managers.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --user alice --out ./alice-bundle',
    '. ~/.eectl/prod/bundles/admin/env.sh && docker node ls',
    'docker --context eectl-prod-admin node ls',
  ];
  static override flags = {
    user: Flags.string({
      description:
        'User the certificate is for (its CN); with spec.access, one of its users (default: the first admin, else admin)',
    }),
    out: Flags.string({
      description: 'Directory to write the bundle to (default ~/.eectl/<cluster>/bundles/<user>)',
    }),
    context: Flags.string({
      description: 'Docker context to create or update (default eectl-<cluster>-<user>)',
    }),
    endpoint: Flags.string({
      description: 'Manager address or name the bundle talks to (default the first manager)',
    }),
    ...hostFlags,
  };

  async run(): Promise<ClientConfigResult> {
    const { config } = await this.loadCluster();
    const result = await clientConfig({
      config,
      session: () => this.openSession(config.metadata.name, this.flags),
      log: this.log_,
      user: this.flags.user ?? config.spec.access?.users.find((u) => u.admin)?.name ?? 'admin',
      out: this.flags.out,
      context: this.flags.context,
      endpoint: this.flags.endpoint,
    });
    if (!this.jsonEnabled()) this.log(renderClientConfig(result));
    return result;
  }
}

function renderClientConfig(r: ClientConfigResult): string {
  const lines = [
    `Client bundle for ${r.user} on cluster ${r.cluster}, valid until ${r.expires.slice(0, 10)}:`,
    `  ${r.dir}/ (ca.pem, cert.pem, key.pem, env.sh, env.ps1)`,
    `  API: ${r.dockerHost}; CA from ${r.caSource}`,
    '',
    `Use it in a shell:  . ${r.dir}/env.sh && docker node ls`,
  ];
  if (r.context.status === 'skipped') {
    lines.push(`No docker context: ${r.context.reason ?? 'skipped'}.`);
  } else {
    lines.push(
      `Or the docker context ${r.context.name} (${r.context.status}):  docker --context ${r.context.name} node ls`,
    );
  }
  return lines.join('\n');
}
