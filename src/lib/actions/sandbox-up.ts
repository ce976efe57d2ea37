import { UsageError } from '../errors.js';
import { ChangeLog } from '../phases/runner/changes.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { setByPhases } from '../phases/runner/phase.js';
import { runPhases } from '../phases/runner/runner.js';
import {
  sandboxBootPhase,
  sandboxClusterFilePhase,
  sandboxHostImagePhase,
  sandboxHostsPhase,
  sandboxMirrorPhase,
  sandboxMirrorServerPhase,
  sandboxNetworkPhase,
  sandboxRegistryBundlePhase,
  sandboxSshPhase,
  sandboxWorkloadBundlePhase,
  type SandboxUpContext,
} from '../phases/sandbox-up.js';
import { assertCounts, type AddressBase, type HostCounts } from '../sandbox/addresses.js';
import { machineDebianMirrors } from '../sandbox/apt.js';
import { DockerCli } from '../sandbox/docker.js';
import {
  assertSandboxName,
  DEFAULT_SANDBOX_NAME,
  LABEL,
  sandboxCacheDir,
  sandboxStateDir,
  type SandboxDescription,
} from '../sandbox/state.js';
import { nullLogger, type Logger } from '../util/log.js';
import { progressMode, type ProgressMode } from '../ui/progress.js';

/**
 * `eectl sandbox up`: what is cached is built once (host image, package mirror, the registry's and the
 * first workload's images), then this sandbox's network and mirror server, its hosts booted in parallel,
 * SSH keys and known_hosts, and the cluster file. It takes no cluster lock: it makes containers on this
 * machine's engine, and a sandbox of the same name is refused before the first phase. On failure the
 * network phase's cleanup removes what the run made (its log stays).
 */
export const SANDBOX_UP_PHASES: AnyPhase<SandboxUpContext>[] = [
  sandboxHostImagePhase,
  sandboxMirrorPhase,
  sandboxRegistryBundlePhase,
  sandboxWorkloadBundlePhase,
  sandboxNetworkPhase,
  sandboxMirrorServerPhase,
  sandboxHostsPhase,
  sandboxBootPhase,
  sandboxSshPhase,
  sandboxClusterFilePhase,
];

/** How `up` is asked for a sandbox. */
export interface SandboxUpOptions extends HostCounts {
  name?: string;
  /** Progress, as every action shows it (default: spinners on a terminal, one line per phase otherwise). */
  mode?: ProgressMode;
  logger?: Logger;
  signal?: AbortSignal;
  /** The Debian archive to build from; default: the one in this machine's apt sources. */
  mirror?: string;
  /** Added to every host's last octet (see planHosts): 0 by default. */
  addressBase?: AddressBase;
}

/** Brings up a sandbox (SANDBOX_UP_PHASES), after checking its name, counts, the engine and that it is new. */
export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxDescription> {
  const name = options.name ?? DEFAULT_SANDBOX_NAME;
  assertSandboxName(name);
  assertCounts(options);
  const log = options.logger ?? nullLogger;
  const docker = new DockerCli({ logger: log, ...(options.signal ? { signal: options.signal } : {}) });
  await docker.serverVersion();
  const label = `${LABEL.sandbox}=${name}`;
  if ((await docker.containersLabelled(label)).length + (await docker.networksLabelled(label)).length > 0) {
    throw new UsageError(`a sandbox named "${name}" exists already`, {
      code: 'ESANDBOXEXISTS',
      suggestions: [`Remove it first: eectl sandbox down --name ${name}`, 'or name another: --name dev2'],
    });
  }
  const ctx: SandboxUpContext = {
    log,
    changes: new ChangeLog(false),
    concurrency: 1,
    ...(options.signal ? { signal: options.signal } : {}),
    request: {
      name,
      managers: options.managers,
      workers: options.workers,
      registries: options.registries,
      addressBase: options.addressBase ?? 0,
    },
    docker,
    cacheDir: sandboxCacheDir(),
    mirrors: machineDebianMirrors({ mirror: options.mirror }),
    stateDir: sandboxStateDir(name),
  };
  await runPhases(SANDBOX_UP_PHASES, ctx, options.mode ?? progressMode(false));
  return setByPhases(ctx.description, "the sandbox's description");
}
