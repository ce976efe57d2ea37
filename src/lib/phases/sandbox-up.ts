import { join } from 'node:path';
import type { Phase, PhaseContext } from './runner/phase.js';
import { planHosts, type AddressBase, type HostCounts } from '../sandbox/addresses.js';
import { hostAptSources, type DebianMirrors } from '../sandbox/apt.js';
import { withCacheLock } from '../sandbox/cache-lock.js';
import { writeSandboxClusterFile } from '../sandbox/cluster-file.js';
import type { DockerCli } from '../sandbox/docker.js';
import { sandboxDown } from '../sandbox/down.js';
import { createHosts, createSandboxNetwork, provisionHost, waitForBoot } from '../sandbox/hosts.js';
import { ensureHostImage, ensureHostRootfs, type HostRootfs } from '../sandbox/image.js';
import { inotifyInstanceLimit, inotifyWarning } from '../sandbox/inotify.js';
import {
  ensureMirrorRepository,
  mirrorDockerVersions,
  mirrorUrl,
  startMirrorServer,
} from '../sandbox/mirror.js';
import { mirrorKeyPath } from '../sandbox/mirror-signing.js';
import { ensureRegistryBundle, type RegistryBundle } from '../sandbox/registry-image.js';
import { generateKeyPair, recordHostKeys } from '../sandbox/ssh-keys.js';
import { LABEL, sandboxKnownHostsFile, writeDescription, type SandboxDescription } from '../sandbox/state.js';
import { ensureWorkloadBundle } from '../sandbox/workload-image.js';

/** What `sandbox up` is asked for, once its name and counts are checked. */
export interface SandboxUpRequest extends HostCounts {
  name: string;
  /** Added to every host's last octet (see planHosts). */
  addressBase: AddressBase;
}

/**
 * The context of `sandbox up`: the outer engine and the cache it builds into, then what each phase makes.
 * Its "host" is this machine's Docker engine: the sandbox's hosts do not exist until the Hosts phase.
 */
export interface SandboxUpContext extends PhaseContext {
  request: SandboxUpRequest;
  docker: DockerCli;
  cacheDir: string;
  /** Debian archives to build from (this machine's apt sources, or --mirror). */
  mirrors: DebianMirrors;
  /** ~/.eectl/sandboxes/<name>: keys, cluster.yaml, logs. */
  stateDir: string;
  rootfs?: HostRootfs;
  image?: string;
  registry?: RegistryBundle;
  workload?: RegistryBundle;
  /** Written as soon as the network exists, so `sandbox ls` shows an up that is still running or failed. */
  description?: SandboxDescription;
}

type SandboxPhase<K extends keyof SandboxUpContext = never> = Phase<SandboxUpContext, K>;

/** Where the cache-building helpers send their progress: the run log, and the phase's last line. */
function progressTo(ctx: SandboxUpContext, out: { report(host: string, line: string): void }) {
  return (message: string): void => {
    ctx.log.debug(message);
    out.report(ctx.request.name, message);
  };
}

/** The host image (debootstrap, cached): Debian 12 with systemd, sshd and sudo. */
export const sandboxHostImagePhase: SandboxPhase = {
  title: 'Host image (Debian 12: systemd, sshd, sudo)',
  async run(ctx, out) {
    const base = { docker: ctx.docker, cacheDir: ctx.cacheDir, mirrors: ctx.mirrors, logger: ctx.log };
    const progress = progressTo(ctx, out);
    await withCacheLock(
      ctx.cacheDir,
      async () => {
        ctx.rootfs = await ensureHostRootfs({ ...base, progress });
        ctx.image = await ensureHostImage({ ...base, progress });
      },
      progress,
    );
    out.report(ctx.request.name, String(ctx.image));
  },
};

/** The package mirror the hosts install engines from (docker.io 20.10 and 26.1, signed; cached). */
export const sandboxMirrorPhase: SandboxPhase<'rootfs'> = {
  title: 'Package mirror (docker.io 20.10 and 26.1)',
  needs: ['rootfs'],
  async run(ctx, out) {
    const progress = progressTo(ctx, out);
    const mirrorContext = {
      docker: ctx.docker,
      cacheDir: ctx.cacheDir,
      mirrors: ctx.mirrors,
      rootfs: ctx.rootfs,
      logger: ctx.log,
      progress,
    };
    await withCacheLock(ctx.cacheDir, () => ensureMirrorRepository(mirrorContext), progress);
    out.report(ctx.request.name, `docker.io ${(await mirrorDockerVersions(ctx.cacheDir)).join(', ')}`);
  },
};

/** The registry image as a bundle install loads (only with registry hosts). */
export const sandboxRegistryBundlePhase: SandboxPhase = {
  title: 'Registry image bundle',
  shouldRun: (ctx) => ctx.request.registries > 0,
  async run(ctx, out) {
    const registry = await withCacheLock(
      ctx.cacheDir,
      () => ensureRegistryBundle({ docker: ctx.docker, cacheDir: ctx.cacheDir, logger: ctx.log }),
      progressTo(ctx, out),
    );
    ctx.registry = registry;
    out.report(ctx.request.name, `${registry.image}: ${registry.bundle}`);
  },
};

/** The first workload's image (busybox: a shell and httpd) as a bundle. */
export const sandboxWorkloadBundlePhase: SandboxPhase = {
  title: 'Workload image bundle (busybox: a shell and httpd)',
  async run(ctx, out) {
    const workload = await withCacheLock(
      ctx.cacheDir,
      () => ensureWorkloadBundle({ docker: ctx.docker, cacheDir: ctx.cacheDir, logger: ctx.log }),
      progressTo(ctx, out),
    );
    ctx.workload = workload;
    out.report(ctx.request.name, `${workload.image}: ${workload.bundle}`);
  },
};

/**
 * The sandbox's network, and its description written at once. The first phase that makes something of
 * this sandbox, so its cleanup removes what a failed up made (the log of the attempt and ~/.eectl/<name>,
 * made by earlier use if at all, are kept).
 */
export const sandboxNetworkPhase: SandboxPhase = {
  title: 'Network',
  async run(ctx, out) {
    const { name } = ctx.request;
    const network = await createSandboxNetwork(ctx.docker, name);
    ctx.description = {
      name,
      network: { name: network.name, subnet: network.subnet, gateway: network.gateway },
      hosts: planHosts(name, ctx.request, network.index, ctx.request.addressBase),
      mirrorUrl: mirrorUrl(network.gateway),
      mirrorKey: mirrorKeyPath(ctx.cacheDir),
      clusterFile: join(ctx.stateDir, 'cluster.yaml'),
      keyPath: join(ctx.stateDir, 'id_ed25519'),
      knownHostsFile: sandboxKnownHostsFile(name),
      stateDir: ctx.stateDir,
      ...(ctx.registry ? { registry: ctx.registry } : {}),
      ...(ctx.workload ? { workload: ctx.workload } : {}),
      createdAt: new Date().toISOString(),
    };
    await writeDescription(ctx.description);
    out.report(name, `${network.name} ${network.subnet}`);
  },
  async cleanup(ctx) {
    ctx.log.warn(`sandbox up failed; removing what it made`);
    await sandboxDown(ctx.request.name, { logger: ctx.log, keepLogs: true, keepState: true });
  },
};

/** The server of the package mirror, on the network's gateway. */
export const sandboxMirrorServerPhase: SandboxPhase<'description'> = {
  title: 'Mirror server',
  needs: ['description'],
  async run(ctx, out) {
    await startMirrorServer(
      { docker: ctx.docker, cacheDir: ctx.cacheDir, logger: ctx.log },
      ctx.request.name,
      ctx.description.network.gateway,
    );
    out.report(ctx.request.name, ctx.description.mirrorUrl);
  },
};

/** The host containers, with a warning first when this machine's inotify limit will not hold them all. */
export const sandboxHostsPhase: SandboxPhase<'description' | 'image'> = {
  title: 'Hosts',
  needs: ['description', 'image'],
  async run(ctx, out) {
    const desc = ctx.description;
    const running = (await ctx.docker.containersLabelled(`${LABEL.kind}=host`)).filter(
      (c) => c.state === 'running',
    );
    const warning = inotifyWarning(await inotifyInstanceLimit(), running.length, desc.hosts.length);
    if (warning) ctx.log.warn(warning);
    await createHosts(ctx.docker, ctx.request.name, desc.network.name, ctx.image, desc.hosts);
    out.report(ctx.request.name, desc.hosts.map((h) => `${h.hostname} ${h.address}`).join(', '));
  },
};

/**
 * Every host booted (systemd up), in parallel. Progress is the sandbox's (one line, naming the host): the
 * hosts are containers this run made, and a count of "hosts, nothing changed" would say the wrong thing.
 */
export const sandboxBootPhase: SandboxPhase<'description'> = {
  title: 'Boot (systemd)',
  needs: ['description'],
  async run(ctx, out) {
    const { hosts } = ctx.description;
    await Promise.all(
      hosts.map(async (host) =>
        out.report(ctx.request.name, `${host.hostname}: ${await waitForBoot(ctx.docker, host)}`),
      ),
    );
    out.report(ctx.request.name, `${hosts.length} host${hosts.length === 1 ? '' : 's'} running`);
  },
};

/** The key eectl logs in with on every host, each host's apt sources, and their host keys in known_hosts. */
export const sandboxSshPhase: SandboxPhase<'description'> = {
  title: 'SSH keys and host keys',
  needs: ['description'],
  async run(ctx, out) {
    const desc = ctx.description;
    const { publicKey } = await generateKeyPair(ctx.stateDir, `eectl-sandbox-${ctx.request.name}`, ctx.log);
    const sources = hostAptSources(desc.mirrorUrl);
    const lines = await Promise.all(
      desc.hosts.map(async (h) => {
        const keys = await provisionHost(ctx.docker, h, publicKey, sources);
        out.report(ctx.request.name, `${h.hostname}: ${keys.length} host keys`);
        return keys;
      }),
    );
    await recordHostKeys(
      desc.knownHostsFile,
      desc.hosts.map((h) => h.address),
      lines.flat(),
    );
    out.report(ctx.request.name, `${lines.flat().length} host keys in ${desc.knownHostsFile}`);
  },
};

/** The cluster file for the hosts, and the description again with everything in it. */
export const sandboxClusterFilePhase: SandboxPhase<'description'> = {
  title: 'Cluster file',
  needs: ['description'],
  async run(ctx, out) {
    await writeSandboxClusterFile(ctx.description);
    await writeDescription(ctx.description);
    out.report(ctx.request.name, ctx.description.clusterFile);
  },
};
