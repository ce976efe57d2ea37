import type { ClusterConfig } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { RegistryClient } from '../images/registry-client.js';
import type { Phase, PhaseContext } from './runner/phase.js';
import { clusterRegistryClient, readRegistry, trustedKeys, type KeptLogin } from '../registry/catalog.js';
import { mintOnManager, ownTokenSubject } from '../registry/own-token.js';
import { REGISTRY_ADMIN_PASSWORD_FILE } from '../host-layout.js';
import { immutablePattern } from '../registry/gate-rules.js';
import { keepImmutable, planRetention } from '../registry/retention.js';
import { tokenAuthSettings } from '../registry/token-auth.js';
import { addSecret } from '../util/redact.js';
import type { PrunedRepository } from '../results/registry.js';
import type { ManagerContext } from './node-connect.js';

/** What the phases of `eectl registry prune` share. */
export interface RegistryPruneContext extends PhaseContext, ManagerContext {
  now: Date;
  /** Shown the plan before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (plan: PrunedRepository[]) => Promise<void>;
  client?: RegistryClient;
  registry?: string;
  plan?: PrunedRepository[];
}

/** The admin password the managers keep (htpasswd auth, when eectl generated it), read as root. */
export async function keptAdminPassword(manager: Host): Promise<string | undefined> {
  const text = (await manager.conn.readFile(REGISTRY_ADMIN_PASSWORD_FILE, { sudo: true }))
    ?.toString('utf8')
    .trim();
  if (text) addSecret(text);
  return text || undefined;
}

/**
 * What eectl logs in with when this machine has no registry login: under token auth, tokens the manager
 * mints for each challenge (its token service's `mint` mode, as root over SSH: the signing key never
 * leaves the manager, and each token is in its audit log); under htpasswd, the admin password the
 * manager keeps.
 */
export async function keptLogin(config: ClusterConfig, manager: Host): Promise<KeptLogin | undefined> {
  const settings = tokenAuthSettings(config);
  if (!settings) {
    const password = await keptAdminPassword(manager);
    return password === undefined ? undefined : { kind: 'password', password };
  }
  const subject = ownTokenSubject();
  return { kind: 'token', token: (challenge) => mintOnManager(manager, settings, challenge, subject) };
}

/**
 * Reads every repository and tag through the registry's API (digests, creation dates, trusted
 * signatures) and decides with the file's retention rules what goes (registry/retention.ts); then asks.
 */
export const registryPrunePlanPhase: Phase<RegistryPruneContext, 'contact'> = {
  title: 'Plan the prune',
  needs: ['contact'],
  async run(ctx, out) {
    const rules = ctx.config.spec.registry.retention;
    const { client, registry } = await clusterRegistryClient(ctx.config, ctx.log, () =>
      keptLogin(ctx.config, ctx.contact),
    );
    ctx.client = client;
    ctx.registry = registry;
    out.report(registry, 'reading repositories, tags and signatures');
    const repositories = await readRegistry(client, trustedKeys(ctx.config));
    ctx.plan = repositories.flatMap((repo) => {
      const tags = repo.tags.map((t) => ({
        tag: t.tag,
        digest: t.digest,
        created: t.created === undefined ? undefined : new Date(t.created),
        signedBy: t.signedBy,
      }));
      const decided = planRetention(repo.name, tags, rules, ctx.now);
      if (!decided) return [];
      keepImmutable(decided, immutablePattern(ctx.config.spec.registry.immutable, repo.name));
      return [
        {
          repository: repo.name,
          rules: decided.rules.map((i) => i + 1),
          tags: decided.tags,
          digests: decided.deleteDigests,
        },
      ];
    });
    if (ctx.changes.dryRun || ctx.plan.every((r) => r.digests.length === 0)) return;
    await ctx.confirm(ctx.plan);
  },
};

/** Deletes each pruned digest (`DELETE /v2/<name>/manifests/<digest>`): its tags go with it. */
export const registryPruneDeletePhase: Phase<RegistryPruneContext, 'client' | 'plan' | 'registry'> = {
  title: 'Delete the pruned tags',
  needs: ['client', 'plan', 'registry'],
  shouldRun: (ctx) => (ctx.plan ?? []).some((r) => r.digests.length > 0),
  async run(ctx, out) {
    const target = { name: ctx.registry, log: ctx.log };
    for (const repo of ctx.plan) {
      for (const digest of repo.digests) {
        const tags = repo.tags.filter((t) => t.digest === digest).map((t) => t.tag);
        out.report(ctx.registry, `${repo.repository}@${digest.slice(0, 19)}`);
        await ctx.changes.apply(target, `delete ${repo.repository}@${digest} (tags ${tags.join(', ')})`, () =>
          ctx.client.deleteManifest(repo.repository, digest),
        );
      }
    }
  },
};
