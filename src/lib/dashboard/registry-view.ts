import type { AccessPolicy } from '../access/model.js';
import { decideScopes, validRepositoryName } from '../access/registry-scopes.js';
import type { RegistryRepository } from '../registry/catalog.js';

/**
 * The dashboard's Registry page: the repositories the viewer may pull, decided by the token service's
 * own `decideScopes` (a `repository:<name>:pull` scope per repository), and nothing of the others.
 */

/** Whose pulls decide what the page shows. */
export type RegistryViewer =
  /** The file's access policy, compiled as install compiles it, and the bundle's user. */
  | { policy: AccessPolicy; user: string }
  /** No spec.access: the bundle has full control of the cluster, and the page shows what the login can list. */
  | { policy: undefined; user: string };

/**
 * The names of `catalog` that `viewer` may pull, in catalog order. Fails closed: a name that is not a
 * valid repository name, a user the policy does not know, a namespace nobody mapped, all drop out.
 */
export function pullableRepositories(viewer: RegistryViewer, catalog: readonly string[]): string[] {
  const valid = catalog.filter(validRepositoryName);
  if (viewer.policy === undefined) return valid;
  const decisions = decideScopes(
    viewer.policy,
    viewer.user,
    valid.map((name) => ({ type: 'repository', name, actions: ['pull'] })),
  );
  return decisions.filter((d) => d.granted.includes('pull')).map((d) => d.requested.name);
}

/** One tag as the page shows it. */
export interface RegistryTagView {
  tag: string;
  digest: string;
  size?: number;
  created?: string;
  /** The trusted key that signed the digest; undefined: signed by none (or no key is trusted). */
  signedBy?: string;
  /** A cosign signature or attestation tag (`sha256-….sig`): listed, never judged. */
  signature: boolean;
}

/** One repository as the page shows it. */
export interface RegistryRepositoryView {
  name: string;
  tags: RegistryTagView[];
  /** Tags of the repository the page did not read (the bound on its work). */
  omittedTags: number;
  /** How many of its (read) image tags a trusted key signed. */
  signedTags: number;
}

/** What `GET /api/registry` answers: the page, for the dashboard's user. */
export interface RegistryPageView {
  /** `host:port` of the registry, when the file has one. */
  registry?: string;
  /** Whose pulls decided and where the listing comes from, in words. */
  source: string;
  repositories: RegistryRepositoryView[];
  /** Repositories the viewer may pull that the page did not read (the bound on its work). */
  omittedRepositories: number;
  /** Whether the catalog was longer than the page reads (more repositories may exist). */
  catalogCut: boolean;
  /** Whether any key is trusted: without one, no tag can be shown as signed. */
  keysTrusted: boolean;
  readAt?: string;
  /** Why the registry could not be read, and what to do. */
  error?: { message: string; suggestions: string[] };
}

const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** The page's model from what was read (only repositories the viewer may pull are ever read). */
export function registryPageView(input: {
  registry?: string;
  source: string;
  repositories: readonly RegistryRepository[];
  omittedRepositories: number;
  catalogCut: boolean;
  keysTrusted: boolean;
  readAt: Date;
}): RegistryPageView {
  return {
    ...(input.registry !== undefined && { registry: input.registry }),
    source: input.source,
    repositories: input.repositories.map((r) => {
      const tags = r.tags.map((t): RegistryTagView => ({
        tag: t.tag,
        digest: t.digest,
        ...(t.size !== undefined && { size: t.size }),
        ...(t.created !== undefined && { created: t.created }),
        ...(t.signedBy !== undefined && { signedBy: t.signedBy }),
        signature: SIGNATURE_TAG.test(t.tag),
      }));
      return {
        name: r.name,
        tags,
        omittedTags: r.omittedTags ?? 0,
        signedTags: tags.filter((t) => !t.signature && t.signedBy !== undefined).length,
      };
    }),
    omittedRepositories: input.omittedRepositories,
    catalogCut: input.catalogCut,
    keysTrusted: input.keysTrusted,
    readAt: input.readAt.toISOString(),
  };
}

/** The page when nothing could be read: why, and what to do; no repository at all. */
export function registryErrorView(
  source: string,
  error: { message: string; suggestions: string[] },
  registry?: string,
): RegistryPageView {
  return {
    ...(registry !== undefined && { registry }),
    source,
    repositories: [],
    omittedRepositories: 0,
    catalogCut: false,
    keysTrusted: false,
    error,
  };
}
