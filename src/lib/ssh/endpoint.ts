import { homedir } from 'node:os';
import { join } from 'node:path';
import type SSHConfig from 'ssh-config';
import type { HostSpec } from '../config/schema.js';
import { expandTokens, lookupSshConfig, parseProxyJump } from './ssh-config.js';

/** Where and as whom to log in on one SSH hop, after cluster.yaml, ~/.ssh/config and defaults are merged. */
export interface SshEndpoint {
  /** The name the user wrote (cluster.yaml address, bastion address or ProxyJump host): used in messages. */
  label: string;
  hostname: string;
  port: number;
  user: string;
  /** Key files to offer, in order. */
  keyPaths: string[];
  /** Whether keyPaths were named (cluster.yaml or IdentityFile): then they go before the agent's keys. */
  keysNamed: boolean;
  keyPassphraseEnv?: string;
  /** Only for the target: a password is never offered to a jump host. */
  passwordEnv?: string;
}

/** A target host and the jump hosts in front of it, first hop first. */
export interface ResolvedTarget {
  target: SshEndpoint;
  jumps: SshEndpoint[];
}

/** The key files OpenSSH tries when none is named. */
export function defaultKeyPaths(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(homedir(), '.ssh', name));
}

/**
 * Merges the ways a host's SSH settings can be given: cluster.yaml wins over ~/.ssh/config, which wins
 * over the defaults (user root, port 22, the default key files). A bastion in cluster.yaml replaces any
 * ProxyJump of the config file.
 */
export function resolveTarget(host: HostSpec, sshConfig: SSHConfig | undefined): ResolvedTarget {
  const ssh = host.ssh;
  const fromConfig = lookupSshConfig(sshConfig, host.address);
  const hostname = fromConfig.hostName ?? host.address;
  const user = ssh.user ?? fromConfig.user ?? 'root';
  const namedKeys = ssh.keyPath
    ? [expandTokens(ssh.keyPath, host.address, hostname, user)]
    : fromConfig.identityFiles;
  const target: SshEndpoint = {
    label: host.address,
    hostname,
    port: ssh.port ?? fromConfig.port ?? 22,
    user,
    keyPaths: namedKeys.length > 0 ? namedKeys : defaultKeyPaths(),
    keysNamed: namedKeys.length > 0,
  };
  if (ssh.keyPassphraseEnv) target.keyPassphraseEnv = ssh.keyPassphraseEnv;
  if (ssh.passwordEnv) target.passwordEnv = ssh.passwordEnv;

  let jumps: SshEndpoint[];
  if (ssh.bastion) {
    const bastion = ssh.bastion;
    jumps = [
      jumpEndpoint(
        sshConfig,
        target,
        { host: bastion.address, user: bastion.user, port: bastion.port },
        bastion.keyPath,
      ),
    ];
  } else {
    jumps = parseProxyJump(fromConfig.proxyJump ?? 'none').map((hop) => jumpEndpoint(sshConfig, target, hop));
  }
  return { target, jumps };
}

/** A jump host: its own ssh config applies; unset user and keys fall back to the target's. */
function jumpEndpoint(
  sshConfig: SSHConfig | undefined,
  target: SshEndpoint,
  hop: { host: string; user?: string | undefined; port?: number | undefined },
  keyPath?: string,
): SshEndpoint {
  const fromConfig = lookupSshConfig(sshConfig, hop.host);
  const hostname = fromConfig.hostName ?? hop.host;
  const user = hop.user ?? fromConfig.user ?? target.user;
  const named = keyPath ? [expandTokens(keyPath, hop.host, hostname, user)] : fromConfig.identityFiles;
  const endpoint: SshEndpoint = {
    label: hop.host,
    hostname,
    port: hop.port ?? fromConfig.port ?? 22,
    user,
    keyPaths: named.length > 0 ? named : target.keyPaths,
    keysNamed: named.length > 0 || target.keysNamed,
  };
  if (target.keyPassphraseEnv) endpoint.keyPassphraseEnv = target.keyPassphraseEnv;
  return endpoint;
}
