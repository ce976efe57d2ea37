import { Args } from '@oclif/core';
import { registryList } from '../../lib/actions/registry.js';
import type { RegistryListResult } from '../../lib/results/registry.js';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { renderRegistryList } from '../../lib/ui/registry-render.js';

export default class RegistryLs extends BaseCommand<typeof RegistryLs> {
  static override summary =
    'List the repositories and tags of the cluster registry, with sizes and signatures';
  static override description =
    "Reads the registry's API: every repository (or REPO), its tags, each tag's digest, size (its blobs as " +
    'the manifest lists them), creation date, and whether a cosign signature by a key the file trusts ' +
    '(images.policy.keys, trust[].keys) vouches for it. Read-only: it takes no lock. Logs in as ' +
    "EECTL_REGISTRY_USERNAME/PASSWORD or this machine's docker login, else as admin with the password the managers keep.";
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> team/app --json',
  ];
  static override args = {
    repo: Args.string({ description: 'Only this repository, e.g. team/app' }),
  };
  static override flags = { ...hostFlags };

  async run(): Promise<RegistryListResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await registryList({
        config,
        session,
        log: this.log_,
        ...(this.args.repo !== undefined && { repository: this.args.repo }),
      });
      if (!this.jsonEnabled()) this.log(renderRegistryList(result));
      return result;
    });
  }
}
