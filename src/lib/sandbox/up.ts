import { join } from 'node:path';
import { Listr } from 'listr2';
import { UsageError } from '../errors.js';
import { nullLogger, type Logger } from '../ui/log.js';
import { assertCounts, planHosts, type AddressBase, type HostCounts } from './addresses.js';
import { hostAptSources, machineDebianMirrors } from './apt.js';
import { withCacheLock } from './cache-lock.js';
import { writeSandboxClusterFile } from './cluster-file.js';
import { DockerCli } from './docker.js';
import { sandboxDown } from './down.js';
import { createHosts, createSandboxNetwork, provisionHost, waitForBoot } from './hosts.js';
import { ensureHostImage, ensureHostRootfs, type HostRootfs } from './image.js';
import { inotifyInstanceLimit, inotifyWarning } from './inotify.js';
import { ensureMirrorRepository, mirrorDockerVersions, mirrorUrl, startMirrorServer } from './mirror.js';
import { mirrorKeyPath } from './mirror-signing.js';
import { ensureRegistryBundle, type RegistryBundle } from './registry-image.js';
import { ensureWorkloadBundle } from './workload-image.js';
import { generateKeyPair, recordHostKeys } from './ssh-keys.js';
import {
  assertSandboxName,
  DEFAULT_SANDBOX_NAME,
  LABEL,
  sandboxCacheDir,
  sandboxKnownHostsFile,
  sandboxStateDir,
  writeDescription,
  type SandboxDescription,
} from './state.js';

/** How `up` is asked for a sandbox. */
export interface SandboxUpOptions extends HostCounts {
  name?: string;
  /** Progress: 'default' on a terminal (it falls back to 'simple' without one), 'silent' under --json. */
  renderer?: 'default' | 'simple' | 'silent';
  logger?: Logger;
  signal?: AbortSignal;
  /** The Debian archive to build from; default: the one in this machine's apt sources. */
  mirror?: string;
  /** Added to every host's last octet (see planHosts): 0 by default. */
  addressBase?: AddressBase;
}

interface UpContext {
  rootfs?: HostRootfs;
  image?: string;
  registry?: RegistryBundle;
  workload?: RegistryBundle;
  description?: SandboxDescription;
}

/**
 * Brings up a sandbox: host image, package mirror and registry bundle (cached), network, mirror server,
 * hosts booted in parallel, SSH keys, known_hosts and the cluster file. On failure it removes what it
 * made (the log of the attempt stays) and rethrows.
 */
export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxDescription> {
  const name = options.name ?? DEFAULT_SANDBOX_NAME;
  assertSandboxName(name);
  assertCounts(options);
  const logger = options.logger ?? nullLogger;
  const docker = new DockerCli({ logger, ...(options.signal ? { signal: options.signal } : {}) });
  await docker.serverVersion();
  const label = `${LABEL.sandbox}=${name}`;
  if ((await docker.containersLabelled(label)).length + (await docker.networksLabelled(label)).length > 0) {
    throw new UsageError(`a sandbox named "${name}" exists already`, {
      code: 'ESANDBOXEXISTS',
      suggestions: [`Remove it first: eectl sandbox down --name ${name}`, 'or name another: --name dev2'],
    });
  }
  const cacheDir = sandboxCacheDir();
  const mirrors = machineDebianMirrors({ mirror: options.mirror });
  const stateDir = sandboxStateDir(name);
  const progress =
    (task: { output: string }) =>
    (message: string): void => {
      logger.debug(message);
      task.output = message;
    };

  const tasks = new Listr<UpContext, 'default' | 'simple' | 'silent', 'simple'>(
    [
      {
        title: 'Host image (Debian 12: systemd, sshd, sudo)',
        task: async (ctx, task) => {
          const base = { docker, cacheDir, mirrors, logger, progress: progress(task) };
          await withCacheLock(
            cacheDir,
            async () => {
              ctx.rootfs = await ensureHostRootfs(base);
              ctx.image = await ensureHostImage(base);
            },
            base.progress,
          );
          task.title = `Host image ${ctx.image}`;
        },
      },
      {
        title: 'Package mirror (docker.io 20.10 and 26.1)',
        task: async (ctx, task) => {
          const rootfs = required(ctx.rootfs);
          const mirrorContext = { docker, cacheDir, mirrors, rootfs, logger, progress: progress(task) };
          await withCacheLock(cacheDir, () => ensureMirrorRepository(mirrorContext), mirrorContext.progress);
          task.title = `Package mirror: docker.io ${(await mirrorDockerVersions(cacheDir)).join(', ')}`;
        },
      },
      {
        title: 'Registry image bundle',
        skip: () => (options.registries === 0 ? 'Registry image bundle: not needed (--registries 0)' : false),
        task: async (ctx, task) => {
          ctx.registry = await withCacheLock(
            cacheDir,
            () => ensureRegistryBundle({ docker, cacheDir, logger }),
            progress(task),
          );
          task.title = `Registry image ${ctx.registry.image}: ${ctx.registry.bundle}`;
        },
      },
      {
        title: 'Workload image bundle (busybox: a shell and httpd)',
        task: async (ctx, task) => {
          ctx.workload = await withCacheLock(
            cacheDir,
            () => ensureWorkloadBundle({ docker, cacheDir, logger }),
            progress(task),
          );
          task.title = `Workload image ${ctx.workload.image}: ${ctx.workload.bundle}`;
        },
      },
      {
        title: 'Network',
        task: async (ctx, task) => {
          const network = await createSandboxNetwork(docker, name);
          ctx.description = {
            name,
            network: { name: network.name, subnet: network.subnet, gateway: network.gateway },
            hosts: planHosts(name, options, network.index, options.addressBase ?? 0),
            mirrorUrl: mirrorUrl(network.gateway),
            mirrorKey: mirrorKeyPath(cacheDir),
            clusterFile: join(stateDir, 'cluster.yaml'),
            keyPath: join(stateDir, 'id_ed25519'),
            knownHostsFile: sandboxKnownHostsFile(name),
            stateDir,
            ...(ctx.registry ? { registry: ctx.registry } : {}),
            ...(ctx.workload ? { workload: ctx.workload } : {}),
            createdAt: new Date().toISOString(),
          };
          // Written now so that `ls` shows a sandbox whose `up` is still running or failed.
          await writeDescription(ctx.description);
          task.title = `Network ${network.name} ${network.subnet}`;
        },
      },
      {
        title: 'Mirror server',
        task: async (ctx, task) => {
          const desc = required(ctx.description);
          await startMirrorServer({ docker, cacheDir, logger }, name, desc.network.gateway);
          task.title = `Mirror server ${desc.mirrorUrl}`;
        },
      },
      {
        title: `Hosts (${options.managers + options.workers + options.registries})`,
        task: async (ctx, task) => {
          const desc = required(ctx.description);
          const running = (await docker.containersLabelled(`${LABEL.kind}=host`)).filter(
            (c) => c.state === 'running',
          );
          const warning = inotifyWarning(await inotifyInstanceLimit(), running.length, desc.hosts.length);
          if (warning) {
            logger.warn(warning);
            task.output = warning;
          }
          await createHosts(docker, name, desc.network.name, required(ctx.image), desc.hosts);
          task.title = `Hosts ${desc.hosts.map((h) => `${h.hostname} ${h.address}`).join(', ')}`;
        },
      },
      {
        title: 'Boot (systemd)',
        task: (ctx, task) =>
          task.newListr(
            required(ctx.description).hosts.map((host) => ({
              title: host.hostname,
              task: async (_ctx: UpContext, sub: { title: string }) => {
                sub.title = `${host.hostname}: ${await waitForBoot(docker, host)}`;
              },
            })),
            { concurrent: true, exitOnError: true },
          ),
      },
      {
        title: 'SSH keys and host keys',
        task: async (ctx) => {
          const desc = required(ctx.description);
          const { publicKey } = await generateKeyPair(stateDir, `eectl-sandbox-${name}`, logger);
          const sources = hostAptSources(desc.mirrorUrl);
          const lines = await Promise.all(
            desc.hosts.map((h) => provisionHost(docker, h, publicKey, sources)),
          );
          await recordHostKeys(
            desc.knownHostsFile,
            desc.hosts.map((h) => h.address),
            lines.flat(),
          );
        },
      },
      {
        title: 'Cluster file',
        task: async (ctx, task) => {
          const desc = required(ctx.description);
          await writeSandboxClusterFile(desc);
          await writeDescription(desc);
          task.title = `Cluster file ${desc.clusterFile}`;
        },
      },
    ],
    {
      renderer: options.renderer ?? 'default',
      fallbackRenderer: 'simple',
      silentRendererCondition: options.renderer === 'silent',
      exitOnError: true,
      // BaseCommand owns SIGINT (exit 130); listr2 must not install its own handler.
      registerSignalListeners: false,
      ctx: {},
    },
  );

  try {
    const ctx = await tasks.run();
    return required(ctx.description);
  } catch (error) {
    logger.warn(
      `sandbox up failed; removing what it made: ${error instanceof Error ? error.message : error}`,
    );
    // What a failed up leaves is its own; ~/.eectl/<name> was made by earlier use, if at all: kept.
    await sandboxDown(name, { logger, keepLogs: true, keepState: true }).catch((cleanupError: unknown) => {
      logger.error(
        `cleanup after the failed up: ${cleanupError instanceof Error ? cleanupError.message : cleanupError}`,
      );
    });
    throw error;
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('sandbox up: a step ran before the step it depends on');
  return value;
}
