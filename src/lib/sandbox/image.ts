import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { DebianMirrors } from './apt.js';
import type { DockerCli } from './docker.js';
import { runLocal } from './exec.js';

/**
 * The hosts' image: Debian 12 from debootstrap (minbase + what a machine has: systemd, sshd, sudo,
 * iptables …), imported into the engine and customised once. The debootstrap root is cached as a tarball
 * in the sandbox cache, so only the first `up` on a machine pays for it.
 */

const SUITE = 'bookworm';
/** What a sandbox host needs to look like a machine: systemd as PID 1, sshd, and the tools eectl uses. */
export const HOST_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'iproute2',
  'procps',
  'sudo',
  'ca-certificates',
  'iptables',
  'kmod',
  'curl',
  'gnupg',
  // Python with apt's binding, as a cloud image has it: Ansible's modules need it on the host, and the
  // install benchmark runs an Ansible playbook beside eectl (eectl itself needs no Python).
  'python3-apt',
];

/** The cached debootstrap root: a tarball and its dpkg status (what apt resolves host packages against). */
export interface HostRootfs {
  tarball: string;
  statusFile: string;
  key: string;
}

export interface ImageContext {
  docker: DockerCli;
  cacheDir: string;
  mirrors: DebianMirrors;
  logger: Logger;
  progress: (message: string) => void;
}

const rootfsKey = (): string => hash({ SUITE, variant: 'minbase', HOST_PACKAGES });

/** The cached debootstrap root, made when missing (about a minute, needs root and debootstrap). */
export async function ensureHostRootfs(ctx: ImageContext): Promise<HostRootfs> {
  const key = rootfsKey();
  const dir = join(ctx.cacheDir, 'rootfs');
  const rootfs: HostRootfs = {
    tarball: join(dir, `${SUITE}-minbase-${key}.tar`),
    statusFile: join(dir, `${SUITE}-minbase-${key}.status`),
    key,
  };
  if (existsSync(rootfs.tarball) && existsSync(rootfs.statusFile)) return rootfs;
  if (process.getuid?.() !== 0) {
    throw new EectlError('building the sandbox host image needs root (debootstrap, then docker import)', {
      code: 'ESANDBOXROOT',
      suggestions: ['Run `eectl sandbox up` as root once; later runs reuse the cached root filesystem.'],
    });
  }
  await mkdir(dir, { recursive: true });
  // Built beside its final place and renamed into it, so an interrupted build never looks cached.
  const work = await mkdtemp(join(dir, 'build-'));
  try {
    const target = join(work, 'root');
    ctx.progress(`debootstrap ${SUITE} from ${ctx.mirrors.debian} (about a minute, once)`);
    await runLocal(
      'debootstrap',
      ['--variant=minbase', `--include=${HOST_PACKAGES.join(',')}`, SUITE, target, ctx.mirrors.debian],
      {
        logger: ctx.logger,
        timeoutMs: 1_200_000,
        onLine: (line) => ctx.progress(line),
        missing: {
          message: 'debootstrap is not installed: the sandbox builds its Debian hosts with it',
          suggestions: ['apt-get install debootstrap'],
        },
      },
    );
    // debootstrap leaves the .debs it installed; the hosts do not need them.
    await runLocal('find', [join(target, 'var/cache/apt/archives'), '-name', '*.deb', '-delete'], {
      logger: ctx.logger,
    });
    ctx.progress('packing the root filesystem');
    await runLocal('tar', ['--numeric-owner', '-C', target, '-cf', join(work, 'rootfs.tar'), '.'], {
      logger: ctx.logger,
      timeoutMs: 600_000,
    });
    await copyFile(join(target, 'var/lib/dpkg/status'), rootfs.statusFile);
    await rename(join(work, 'rootfs.tar'), rootfs.tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return rootfs;
}

/** The image tag of the hosts, e.g. `eectl-sandbox/debian:bookworm-1a2b3c4d5e6f`. */
export function hostImageTag(rootfsKeyValue: string): string {
  return `eectl-sandbox/debian:${SUITE}-${hash({ rootfsKeyValue, script: HOST_IMAGE_SCRIPT })}`;
}

/** The host image in the engine, imported and customised when missing. Returns its tag. */
export async function ensureHostImage(ctx: ImageContext): Promise<string> {
  const rootfs = await ensureHostRootfs(ctx);
  const tag = hostImageTag(rootfs.key);
  if (await ctx.docker.imageExists(tag)) return tag;
  const rawTag = `eectl-sandbox/debian-rootfs:${SUITE}-${rootfs.key}`;
  if (!(await ctx.docker.imageExists(rawTag))) {
    ctx.progress('docker import of the root filesystem');
    await ctx.docker.importImage(rootfs.tarball, rawTag);
  }
  ctx.progress('customising the host image (users, sudo, sshd, first-boot host keys)');
  const builder = `eectl-sandbox-image-build-${process.pid}`;
  try {
    await ctx.docker.runScript(builder, rawTag, HOST_IMAGE_SCRIPT);
    await ctx.docker.commit(builder, tag, ['CMD ["/sbin/init"]', 'ENV container=docker']);
  } finally {
    await ctx.docker.removeContainers([builder]).catch(() => undefined);
  }
  return tag;
}

/**
 * Turns the plain debootstrap root into a machine image. Each host must have its own identity, so SSH host
 * keys and the machine id are made at its first boot; the SSH key and apt sources are per sandbox and are
 * written when the host has booted (hosts.ts).
 */
export const HOST_IMAGE_SCRIPT = `set -eu
rm -f /etc/ssh/ssh_host_*
cat > /etc/systemd/system/eectl-sandbox-host-keys.service <<'EOF'
[Unit]
Description=Generate this host's own SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
EOF
mkdir -p /etc/systemd/system/multi-user.target.wants /etc/systemd/system/ssh.service.wants
ln -sf ../eectl-sandbox-host-keys.service /etc/systemd/system/multi-user.target.wants/eectl-sandbox-host-keys.service
ln -sf ../eectl-sandbox-host-keys.service /etc/systemd/system/ssh.service.wants/eectl-sandbox-host-keys.service
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
# apt sees only the sandbox mirror, written per sandbox once the host runs.
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
# A background apt run would race eectl for the dpkg lock and make tests flaky.
ln -sf /dev/null /etc/systemd/system/apt-daily.timer
ln -sf /dev/null /etc/systemd/system/apt-daily-upgrade.timer
useradd --create-home --shell /bin/bash --groups sudo eectl
# '*': no password, but not a locked account (key logins work whatever sshd's UsePAM says).
usermod --password '*' eectl
printf 'eectl ALL=(ALL) NOPASSWD:ALL\\n' > /etc/sudoers.d/eectl
chmod 0440 /etc/sudoers.d/eectl
install -d -m 0700 /root/.ssh
install -d -m 0700 -o eectl -g eectl /home/eectl/.ssh
printf 'PasswordAuthentication no\\nPermitRootLogin prohibit-password\\n' > /etc/ssh/sshd_config.d/eectl-sandbox.conf
`;

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
