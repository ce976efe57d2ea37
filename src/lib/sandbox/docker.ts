import { EectlError, ExitCode } from '../errors.js';
import { nullLogger, type Logger } from '../util/log.js';
import { runLocal, tail, type LocalResult } from './exec.js';

/**
 * The outer Docker engine, the one that runs the sandbox's hosts. The only module that builds `docker`
 * command lines (one module owns each outside world); everything else asks it for networks, volumes, containers and images.
 */

/** A container of the outer engine as `ls` and `down` need it. */
export interface ContainerInfo {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

/** What a sandbox host container is made of; `hostRunArgs` turns it into `docker run` arguments. */
export interface HostContainerSpec {
  container: string;
  hostname: string;
  network: string;
  address: string;
  volume: string;
  image: string;
  labels: Record<string, string>;
  /** More `volume:path` mounts (the registry hosts' shared storage). */
  extraVolumes?: string[];
}

const NO_ENGINE_SUGGESTIONS = [
  'Start one: dockerd >/var/log/outer-dockerd.log 2>&1 &   (as root; wait until `docker info` answers)',
  'or point DOCKER_HOST at an engine that runs, e.g. DOCKER_HOST=unix:///run/docker.sock',
];

/**
 * What a systemd container with an engine inside needs, without --privileged (which fails on machines
 * whose bounding set lacks CAP_SYS_RESOURCE). The per-host volume at /var/lib/docker matters:
 * the inner engine's overlay2 cannot sit on the container's own overlay root.
 */
export function hostRunArgs(spec: HostContainerSpec): string[] {
  return [
    'run',
    '--detach',
    `--name=${spec.container}`,
    `--hostname=${spec.hostname}`,
    `--network=${spec.network}`,
    `--ip=${spec.address}`,
    '--cap-add=ALL',
    '--cap-drop=SYS_RESOURCE',
    '--security-opt=seccomp=unconfined',
    '--security-opt=apparmor=unconfined',
    '--security-opt=systempaths=unconfined',
    '--device-cgroup-rule=a *:* rwm',
    '--volume=/sys/fs/cgroup:/sys/fs/cgroup:rw',
    '--tmpfs=/run',
    '--tmpfs=/run/lock',
    '--env=container=docker',
    '--stop-signal=SIGRTMIN+3',
    `--volume=${spec.volume}:/var/lib/docker`,
    ...(spec.extraVolumes ?? []).map((v) => `--volume=${v}`),
    ...labelArgs(spec.labels),
    spec.image,
  ];
}

/** The package mirror: a static file server on the host network, listening on the bridge's gateway only. */
export function mirrorRunArgs(spec: {
  container: string;
  image: string;
  root: string;
  listen: string;
  labels: Record<string, string>;
}): string[] {
  return [
    'run',
    '--detach',
    `--name=${spec.container}`,
    '--network=host',
    // It comes back with the engine, as the hosts' mirror would on a real site.
    '--restart=unless-stopped',
    `--volume=${spec.root}:/srv:ro`,
    ...labelArgs(spec.labels),
    spec.image,
    '/bin/busybox',
    'httpd',
    '-f',
    '-p',
    spec.listen,
    '-h',
    '/srv',
  ];
}

/** `--label=k=v` for each label, in a stable order. */
export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `--label=${k}=${v}`);
}

export class DockerCli {
  private readonly logger: Logger;
  private readonly signal: AbortSignal | undefined;

  constructor(options: { logger?: Logger; signal?: AbortSignal } = {}) {
    this.logger = options.logger ?? nullLogger;
    this.signal = options.signal;
  }

  /** Runs `docker ARGS`; throws CommandFailedError on a non-zero exit unless check is false. */
  async run(
    args: string[],
    options: { input?: string; check?: boolean; timeoutMs?: number; onLine?: (line: string) => void } = {},
  ): Promise<LocalResult> {
    return runLocal('docker', args, {
      ...options,
      logger: this.logger,
      signal: this.signal,
      missing: {
        message: 'the docker command is not installed on this machine',
        suggestions: ['apt-get install docker.io', ...NO_ENGINE_SUGGESTIONS],
      },
    });
  }

  /** The engine's version; an EectlError saying how to start one when none answers. */
  async serverVersion(): Promise<string> {
    const result = await this.run(['version', '--format', '{{.Server.Version}}'], {
      check: false,
      timeoutMs: 20_000,
    });
    if (result.code !== 0 || result.stdout.trim() === '') {
      const where = process.env.DOCKER_HOST
        ? `at DOCKER_HOST=${process.env.DOCKER_HOST}`
        : 'on the default socket';
      throw new EectlError(`no Docker engine answers ${where}: the sandbox needs one to run its hosts`, {
        code: 'ENODOCKER',
        kind: 'user',
        exitCode: ExitCode.failure,
        suggestions: [...NO_ENGINE_SUGGESTIONS, ...tail(result.stderr, 3).map((l) => `docker said: ${l}`)],
      });
    }
    return result.stdout.trim();
  }

  // --- networks -------------------------------------------------------------------------------------

  async createNetwork(spec: {
    name: string;
    subnet: string;
    gateway: string;
    labels: Record<string, string>;
  }): Promise<void> {
    // Internal: the hosts reach each other and the gateway (the mirror), nothing beyond this machine.
    await this.run([
      'network',
      'create',
      '--driver=bridge',
      '--internal',
      `--subnet=${spec.subnet}`,
      `--gateway=${spec.gateway}`,
      ...labelArgs(spec.labels),
      spec.name,
    ]);
  }

  /** Every IPv4 subnet of every network of the engine (a new sandbox network must overlap none). */
  async networkSubnets(): Promise<string[]> {
    const ids = lines((await this.run(['network', 'ls', '--quiet'])).stdout);
    if (ids.length === 0) return [];
    const inspected = JSON.parse((await this.run(['network', 'inspect', ...ids])).stdout) as {
      IPAM?: { Config?: { Subnet?: string }[] | null };
    }[];
    return inspected.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter(Boolean);
  }

  async networksLabelled(label: string): Promise<string[]> {
    return lines((await this.run(['network', 'ls', '--quiet', '--filter', `label=${label}`])).stdout);
  }

  async removeNetworks(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.run(['network', 'rm', ...ids]);
  }

  // --- contexts (the docker CLI's own, in ~/.docker; `eectl client-config` makes them) -----------------

  /** The CLI's contexts with their descriptions (`docker context ls` needs no engine). */
  async contexts(): Promise<{ name: string; description: string }[]> {
    const { stdout } = await this.run(['context', 'ls', '--format', '{{json .}}']);
    return parseContextList(stdout);
  }

  async removeContexts(names: string[]): Promise<void> {
    // --force: a context in use (docker context use) goes too; its hosts are gone with the sandbox.
    if (names.length > 0) await this.run(['context', 'rm', '--force', ...names]);
  }

  // --- volumes --------------------------------------------------------------------------------------

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.run(['volume', 'create', ...labelArgs(labels), name]);
  }

  async volumesLabelled(label: string): Promise<string[]> {
    return lines((await this.run(['volume', 'ls', '--quiet', '--filter', `label=${label}`])).stdout);
  }

  async removeVolumes(names: string[]): Promise<void> {
    if (names.length > 0) await this.run(['volume', 'rm', '--force', ...names]);
  }

  // --- containers -----------------------------------------------------------------------------------

  /** `docker run` with prepared arguments (see hostRunArgs); returns the container id. */
  async runContainer(args: string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }

  /** Runs argv inside a container; the result is returned whatever the exit code unless check is set. */
  async exec(
    container: string,
    argv: string[],
    options: { input?: string; user?: string; check?: boolean; timeoutMs?: number } = {},
  ): Promise<LocalResult> {
    const args = ['exec', ...(options.input === undefined ? [] : ['--interactive'])];
    if (options.user) args.push(`--user=${options.user}`);
    return this.run([...args, container, ...argv], {
      check: options.check ?? false,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  async containersLabelled(label: string): Promise<ContainerInfo[]> {
    const ids = lines((await this.run(['ps', '--all', '--quiet', '--filter', `label=${label}`])).stdout);
    if (ids.length === 0) return [];
    // Another sandbox's container may be removed between the list and the inspect (e2e files run two at
    // a time): inspect prints the ones it still finds and fails for the others, which are gone anyway.
    const r = await this.run(['container', 'inspect', ...ids], { check: false });
    if (r.code !== 0 && !/No such container/i.test(r.stderr)) {
      await this.run(['container', 'inspect', ...ids]); // throws with the real failure
    }
    const inspected = JSON.parse(r.stdout.trim() || '[]') as {
      Id: string;
      Name: string;
      State: { Status: string };
      Config: { Labels: Record<string, string> | null };
    }[];
    return inspected.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      state: c.State.Status,
      labels: c.Config.Labels ?? {},
    }));
  }

  /**
   * Runs a shell script in a fresh container without network, leaving the container (stopped) behind to
   * be committed; used to customise an imported root filesystem without `docker build`.
   */
  async runScript(container: string, image: string, script: string): Promise<void> {
    await this.run(
      ['run', '--interactive', `--name=${container}`, '--network=none', image, '/bin/sh', '-s'],
      {
        input: script,
        timeoutMs: 300_000,
      },
    );
  }

  async removeContainers(names: string[]): Promise<void> {
    if (names.length > 0) await this.run(['rm', '--force', '--volumes', ...names]);
  }

  /** A clean shutdown: systemd gets SIGRTMIN+3 and powers the host off. */
  async stop(container: string, timeoutS = 30): Promise<void> {
    await this.run(['stop', `--time=${timeoutS}`, container]);
  }

  /** Pulls the plug: no shutdown, as when a machine loses power. */
  async kill(container: string): Promise<void> {
    await this.run(['kill', container]);
  }

  async start(container: string): Promise<void> {
    await this.run(['start', container]);
  }

  async copyInto(container: string, source: string, destination: string): Promise<void> {
    await this.run(['cp', source, `${container}:${destination}`]);
  }

  async commit(container: string, image: string, changes: string[]): Promise<void> {
    await this.run(['commit', ...changes.map((c) => `--change=${c}`), container, image]);
  }

  // --- images ---------------------------------------------------------------------------------------

  async imageExists(image: string): Promise<boolean> {
    return (await this.run(['image', 'inspect', '--format', '{{.Id}}', image], { check: false })).code === 0;
  }

  /** Makes an image from a root filesystem tarball (`docker import`): no registry is involved. */
  async importImage(tarball: string, image: string, changes: string[] = []): Promise<void> {
    await this.run(['import', ...changes.map((c) => `--change=${c}`), tarball, image], {
      timeoutMs: 600_000,
    });
  }

  /** Writes an image bundle (`docker save`), the archive eectl uploads to air-gapped hosts. */
  async saveImage(image: string, file: string): Promise<void> {
    await this.run(['save', '--output', file, image], { timeoutMs: 600_000 });
  }
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `docker context ls --format '{{json .}}'`: one JSON object a line (Name, Description, …). */
export function parseContextList(stdout: string): { name: string; description: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        const c = JSON.parse(l) as { Name?: unknown; Description?: unknown };
        return typeof c.Name === 'string'
          ? [{ name: c.Name, description: typeof c.Description === 'string' ? c.Description : '' }]
          : [];
      } catch {
        return [];
      }
    });
}
