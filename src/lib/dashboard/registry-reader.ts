import { compilePolicy, compileRegistryRules } from '../access/compile.js';
import type { ClusterConfig } from '../config/schema.js';
import { toEectlError } from '../errors.js';
import type { RegistryClient } from '../images/registry-client.js';
import { clusterRegistryClient, readRepository, registryEndpoint, trustedKeys } from '../registry/catalog.js';
import { tokenAuthSettings } from '../registry/token-auth.js';
import type { Logger } from '../ui/log.js';
import type { RegistryRepository } from '../registry/catalog.js';
import {
  pullableRepositories,
  registryErrorView,
  registryPageView,
  type RegistryPageView,
  type RegistryViewer,
} from './registry-view.js';

/** Bounds on one read of the registry for the page: a large registry costs the page no more than this. */
export interface RegistryReadBounds {
  /** Pages of `_catalog` (1000 names each) read at most. */
  catalogPages: number;
  /** Repositories (of those the viewer may pull) whose tags are read. */
  repositories: number;
  /** Tags per repository whose manifest and signature are read. */
  tagsPerRepository: number;
  /** How long one read is served to every page before the registry is asked again. */
  ttlMs: number;
}

export const DEFAULT_REGISTRY_BOUNDS: RegistryReadBounds = {
  catalogPages: 10,
  repositories: 50,
  tagsPerRepository: 20,
  ttlMs: 30_000,
};

/** What the page shows of the registry, for the dashboard's user. */
export interface RegistrySource {
  page(): Promise<RegistryPageView>;
}

export interface RegistryReaderOptions {
  config: ClusterConfig;
  /** The bundle's user: the page shows only what they may pull. */
  user: string;
  /** The cluster file's path, named on the page. */
  file: string;
  log: Logger;
  bounds?: Partial<RegistryReadBounds>;
  /** The registry client (default: this machine's registry login, as `eectl registry ls` without SSH). */
  client?: () => Promise<{ client: RegistryClient; registry: string }>;
  now?: () => number;
}

/** Whose pulls decide: the access policy as install compiles it for the managers (with the token service's rules). */
export function registryViewer(config: ClusterConfig, user: string): RegistryViewer {
  const access = config.spec.access;
  if (!access) return { policy: undefined, user };
  const rules = compileRegistryRules(config);
  return {
    policy: { ...compilePolicy(config.metadata.name, access, []), ...(rules && { registry: rules }) },
    user,
  };
}

/** Where the page's answers come from, in words. */
function sourceLine(config: ClusterConfig, file: string, user: string): string {
  if (!config.spec.access) {
    return `the cluster file has no spec.access: every repository this machine's registry login can list is shown (the bundle has full control of the cluster)`;
  }
  const enforced = tokenAuthSettings(config)
    ? 'the same rule the registry token service enforces'
    : 'the rule token authentication would enforce (the registry uses htpasswd now: every registry login may pull everything)';
  return `only the repositories ${user} may pull under the access policy of ${file} (spec.access), decided by ${enforced}`;
}

/**
 * Reads the registry for the page through this machine's registry login (EECTL_REGISTRY_USERNAME and
 * EECTL_REGISTRY_PASSWORD, or `docker login`): the dashboard reaches no host over SSH, and it never sends
 * the viewer's bundle to the registry. Only repositories the viewer may pull are read past the catalog,
 * within bounds, and one read is shared for `ttlMs`.
 */
export class RegistryReader implements RegistrySource {
  private cached: { at: number; view: Promise<RegistryPageView> } | undefined;
  private readonly bounds: RegistryReadBounds;
  private readonly viewer: RegistryViewer;
  private readonly now: () => number;

  constructor(private readonly options: RegistryReaderOptions) {
    this.bounds = { ...DEFAULT_REGISTRY_BOUNDS, ...options.bounds };
    this.viewer = registryViewer(options.config, options.user);
    this.now = options.now ?? Date.now;
  }

  page(): Promise<RegistryPageView> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= this.bounds.ttlMs) {
      this.cached = { at: now, view: this.read() };
    }
    return this.cached.view;
  }

  private async read(): Promise<RegistryPageView> {
    const { config, log } = this.options;
    const source = sourceLine(config, this.options.file, this.options.user);
    let registry: string | undefined;
    try {
      registry = registryEndpoint(config);
      const opened = await (this.options.client?.() ?? clusterRegistryClient(config, log));
      const { client } = opened;
      const names = await client.catalog(this.bounds.catalogPages);
      const visible = pullableRepositories(this.viewer, names.sort());
      const read = visible.slice(0, this.bounds.repositories);
      const keys = trustedKeys(config);
      const repositories: RegistryRepository[] = [];
      for (const name of read) {
        repositories.push(await readRepository(client, name, keys, 4, this.bounds.tagsPerRepository));
      }
      return registryPageView({
        registry: opened.registry,
        source,
        repositories,
        omittedRepositories: visible.length - read.length,
        catalogCut: names.length >= this.bounds.catalogPages * 1000,
        keysTrusted: keys.length > 0,
        readAt: new Date(this.now()),
      });
    } catch (e) {
      const err = toEectlError(e);
      log.warn(`dashboard: registry: ${err.message}`);
      // Not cached for long: the next visit after a few seconds asks again.
      if (this.cached) this.cached.at = this.now() - this.bounds.ttlMs + 5000;
      return registryErrorView(source, { message: err.message, suggestions: err.suggestions }, registry);
    }
  }
}
