import { matchingVersions } from '../../host/version.js';
import type { ClusterContext } from '../runner/cluster-context.js';
import { APT_SOURCE_FILE } from '../../host/os/apt.js';
import { YUM_REPO_FILE } from '../../host/os/dnf.js';
import { MIRROR_KEY_APT, MIRROR_KEY_RPM } from '../../host/os/source.js';
import { ZYPPER_REPO_FILE } from '../../host/os/zypper.js';
import type { Host } from '../../host/host.js';
import { configurerFor, type EngineSourceSpec } from '../../host/os/index.js';
import { repoKeyText } from '../../config/repo-key.js';
import { addSecret } from '../../util/redact.js';
import { uploadsInPlace } from '../runner/steps.js';

/** The engine package source of one host, as install converges it (the package-source and engine-version phases use it too). */

/** engine.source and repoUrl from the file, as the configurers take them. */
export function sourceSpec(ctx: ClusterContext): EngineSourceSpec {
  const { source, repoUrl, repoKey, insecure } = ctx.config.spec.engine;
  // A mirror's password is a secret wherever it shows (logs, errors).
  if (source === 'mirror' && repoUrl) addSecret(repoUrlPassword(repoUrl));
  return { source, repoUrl, insecure, repoKey: repoKey === undefined ? undefined : repoKeyText(repoKey) };
}

function repoUrlPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The files of an eectl package source: none left means the distribution's own source is in place. */
const SOURCE_FILES = [APT_SOURCE_FILE, YUM_REPO_FILE, ZYPPER_REPO_FILE, MIRROR_KEY_APT, MIRROR_KEY_RPM];

/** Whether the host's package source is already what the file asks for (its files have the right content). */
export function sourceInPlace(ctx: ClusterContext, host: Host): boolean {
  const steps = configurerFor(host.known).setupSource(sourceSpec(ctx));
  if (steps.some((s) => s.kind === 'upload')) return uploadsInPlace(host, steps);
  // The distribution's own source: in place once no eectl source file is left over.
  return SOURCE_FILES.every((path) => host.known.files[path] === undefined);
}

/**
 * The engine package a host already has, when it satisfies engine.version. `install` never upgrades an
 * engine that satisfies the file (that is `eectl upgrade`'s job), which also keeps a converged run fast:
 * no metadata refresh, no listing.
 */
export function satisfiedVersion(ctx: ClusterContext, host: Host): string | undefined {
  const engine = host.facts?.engine;
  if (!engine?.packageVersion || !engine.packageName) return undefined;
  const wanted = configurerFor(host.known).enginePackages(sourceSpec(ctx)).engine;
  if (engine.packageName !== wanted) return undefined;
  const ok = matchingVersions(ctx.config.spec.engine.version, [engine.packageVersion]).length > 0;
  return ok ? engine.packageVersion : undefined;
}
