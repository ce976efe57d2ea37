import type { ClusterContext } from '../phase/cluster-context.js';
import { APT_SOURCE_FILE } from '../host/os/apt.js';
import { YUM_REPO_FILE } from '../host/os/dnf.js';
import { MIRROR_KEY_APT, MIRROR_KEY_RPM } from '../host/os/source.js';
import { ZYPPER_REPO_FILE } from '../host/os/zypper.js';
import type { Host } from '../host/host.js';
import { configurerFor, type EngineSourceSpec } from '../host/os/index.js';
import type { Phase } from '../phase/phase.js';
import { repoKeyText } from '../config/repo-key.js';
import { addSecret } from '../util/redact.js';
import { mapAll } from '../util/concurrency.js';
import { applySteps, uploadsInPlace } from '../phase/steps.js';
import { hostProxy } from './proxy.js';

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

/** Points each host's package manager at the engine's source: Docker's repository, the distro's, or a mirror. */
export const packageSourcePhase: Phase<ClusterContext> = {
  title: 'Configure package sources',
  shouldRun: (ctx) => ctx.hosts.some((h) => !sourceInPlace(ctx, h)),
  async run(ctx, out) {
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      if (sourceInPlace(ctx, host)) return;
      const spec = { ...sourceSpec(ctx), proxy: hostProxy(ctx, host) };
      await applySteps(ctx, host, configurerFor(host.known).setupSource(spec), out);
    });
  },
};
