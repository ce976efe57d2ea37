import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig, { glob } from 'ssh-config';
import { UsageError } from '../errors.js';

/** What ~/.ssh/config says about one host alias (only the settings eectl uses). */
export interface SshConfigValues {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
}

/** One hop of a ProxyJump list: `[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH

/** Reads an ssh config file with its Include directives expanded; undefined when the file does not exist. */
export function loadSshConfig(path: string): SSHConfig | undefined {
  if (!existsSync(path)) return undefined;
  return SSHConfig.parse(expandIncludes(readFileSync(path, 'utf8'), dirname(path), 0));
}

/** The settings for an alias: the first value obtained wins, as in ssh_config(5). */
export function lookupSshConfig(config: SSHConfig | undefined, alias: string): SshConfigValues {
  if (!config) return { identityFiles: [] };
  // Match exec would run shell commands from the config while we only read it; Host blocks suffice.
  const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
  const single = (name: string): string | undefined => {
    const value = computed[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const hostName = single('hostname');
  const user = single('user');
  const port = single('port');
  const identity = computed['identityfile'];
  const identityFiles = identity === undefined ? [] : Array.isArray(identity) ? identity : [identity];
  const values: SshConfigValues = {
    identityFiles: identityFiles
      .filter((f) => f.toLowerCase() !== 'none')
      .map((f) => expandTokens(f, alias, hostName ?? alias, user)),
  };
  if (hostName !== undefined) values.hostName = expandTokens(hostName, alias, alias, user);
  if (user !== undefined) values.user = user;
  if (port !== undefined) values.port = parsePort(port, `Port for ${alias} in ssh config`);
  const proxyJump = single('proxyjump');
  if (proxyJump !== undefined) values.proxyJump = proxyJump;
  return values;
}

/** Parses a ProxyJump value; `none` means no jump. ssh:// URIs are accepted too. */
export function parseProxyJump(value: string): JumpSpec[] {
  if (value.toLowerCase() === 'none') return [];
  return value.split(',').map((hop) => {
    const text = hop.trim().replace(/^ssh:\/\//, '');
    const at = text.lastIndexOf('@');
    const user = at >= 0 ? text.slice(0, at) : undefined;
    const hostPort = at >= 0 ? text.slice(at + 1) : text;
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort) ?? /^([^:]+)(?::(\d+))?$/.exec(hostPort);
    if (!match?.[1]) throw new UsageError(`ProxyJump hop "${hop}" is not [user@]host[:port]`);
    const spec: JumpSpec = { host: match[1] };
    if (user) spec.user = user;
    if (match[2]) spec.port = parsePort(match[2], `ProxyJump hop "${hop}"`);
    return spec;
  });
}

/** Expands `~` and the ssh_config tokens eectl can know: %d %h %n %r %u %%. */
export function expandTokens(value: string, alias: string, hostname: string, remoteUser?: string): string {
  const home = homedir();
  const withHome = value === '~' || value.startsWith('~/') ? home + value.slice(1) : value;
  return withHome.replace(/%([dhnru%])/g, (_, token: string) => {
    switch (token) {
      case 'd':
        return home;
      case 'h':
        return hostname;
      case 'n':
        return alias;
      case 'r':
        return remoteUser ?? '%r';
      case 'u':
        return userInfo().username;
      default:
        return '%';
    }
  });
}

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`${what}: bad port "${text}"`);
  return port;
}

function expandIncludes(text: string, baseDir: string, depth: number): string {
  if (depth > MAX_INCLUDE_DEPTH) throw new UsageError('ssh config: Include nested too deeply');
  return text
    .split('\n')
    .map((line) => {
      const match = /^\s*include\s*[\s=]\s*(.+)$/i.exec(line);
      if (!match?.[1]) return line;
      // Inlining keeps an Include inside a Host block conditional on that block, as in OpenSSH.
      return match[1]
        .trim()
        .split(/\s+/)
        .flatMap((pattern) => includedFiles(pattern.replace(/^"|"$/g, ''), baseDir))
        .map((file) => expandIncludes(readFileSync(file, 'utf8'), baseDir, depth + 1))
        .join('\n');
    })
    .join('\n');
}

function includedFiles(pattern: string, baseDir: string): string[] {
  const expanded = pattern.startsWith('~') ? homedir() + pattern.slice(1) : pattern;
  const path = isAbsolute(expanded) ? expanded : join(baseDir, expanded);
  const name = basename(path);
  if (!/[*?]/.test(name)) return existsSync(path) ? [path] : [];
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => glob(name, entry))
    .sort()
    .map((entry) => join(dir, entry));
}
