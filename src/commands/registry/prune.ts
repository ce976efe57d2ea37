import { registryPrune } from '../../lib/actions/registry.js';
import type { RegistryPruneResult } from '../../lib/results/registry.js';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { renderPrunePlan, renderPruneSummary } from '../../lib/ui/registry-render.js';

export default class RegistryPrune extends BaseCommand<typeof RegistryPrune> {
  static override summary = 'Delete the tags that fall outside registry.retention of the cluster file';
  static override description = `Lists every repository and tag through the registry's API (catalog, tags, manifests; each image's creation date from its config; its cosign signatures checked against the keys the file trusts), decides with registry.retention which tags go, shows the plan and asks (--yes without a terminal), then deletes each pruned image by digest (DELETE /v2/<name>/manifests/<digest>). Their space is freed by the next eectl registry gc.

A repository no rule names is never touched. A tag is kept when any keep clause of any rule matching its repository keeps it; a tag whose creation date is unknown is kept; a tag signed by a trusted key is kept unless every rule matching its repository says pruneSigned: true. Deleting a digest removes every tag on it, so a digest a kept tag points at is never deleted. A repository registry.immutable names keeps every tag (its registry gate refuses deletes there). Logs in as EECTL_REGISTRY_USERNAME/PASSWORD or this machine's docker login, else as admin with the password the managers keep.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --yes && <%= config.bin %> registry gc --yes',
    '<%= config.bin %> <%= command.id %> --dry-run --json',
  ];
  static override flags = { ...hostFlags, ...changeFlags };

  async run(): Promise<RegistryPruneResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await registryPrune({
        ...this.actionOptions(config, session, this.flags),
        confirm: async (plan) => {
          // With --yes the summary shows the plan: once is enough.
          if (!this.jsonEnabled() && this.flags.yes !== true)
            process.stderr.write(`${renderPrunePlan(plan)}\n`);
          await this.confirmOrStop('Delete these tags?', this.flags.yes, {
            message: 'registry prune deletes tags; without a terminal, confirm with --yes',
            suggestions: [`${this.config.bin} registry prune ${this.argv.join(' ')} --yes`],
          });
        },
      });
      if (!this.jsonEnabled()) this.log(renderPruneSummary(result));
      return result;
    });
  }
}
