import { field, list, path, stringMap, text } from './json-fields.js';

/**
 * The options restrictedControl refuses: everything that reaches the node from a workload. Each finding
 * is a phrase for the denial message. Network targets are checked by the policy (they need a lookup).
 */

/** A named volume whose local-driver options mount a host path (`type=none,o=bind,device=/`). */
function hostPathVolume(driver: string, options: Record<string, string>): boolean {
  if (driver !== '' && driver !== 'local') return true; // a volume plugin can do anything on the node
  const o = (options.o ?? '').split(',');
  return options.device !== undefined || o.includes('bind') || o.includes('rbind');
}

/** Mounts of a service's ContainerSpec or a container's HostConfig (same JSON shape). */
function mountFindings(mounts: unknown): string[] {
  const out: string[] = [];
  for (const mount of list(mounts)) {
    const type = text(field(mount, 'Type')).toLowerCase();
    const source = text(field(mount, 'Source'));
    if (type === 'bind' || type === 'npipe') out.push(`a bind mount of the host path ${source || '?'}`);
    if (type === 'volume' || type === '') {
      const driver = path(mount, 'VolumeOptions', 'DriverConfig');
      if (hostPathVolume(text(field(driver, 'Name')), stringMap(field(driver, 'Options')))) {
        out.push(`a volume that mounts a host path or uses a volume plugin (${source || 'anonymous'})`);
      }
    }
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs' && type !== '' && type !== 'npipe') {
      out.push(`a mount of type ${type}`);
    }
  }
  return out;
}

/** Security options that switch confinement off. */
function securityOptFindings(options: unknown): string[] {
  return list(options)
    .map(text)
    .filter((o) => /^(seccomp|apparmor|systempaths)[=:]unconfined$|^label[=:]disable$/i.test(o.trim()))
    .map((o) => `the security option ${o}`);
}

/** Findings in a service spec (POST /services/create, /services/{id}/update). */
export function serviceFindings(spec: unknown): string[] {
  const task = field(spec, 'TaskTemplate');
  const container = field(task, 'ContainerSpec');
  const out: string[] = [];
  if (field(task, 'PluginSpec') !== undefined || text(field(task, 'Runtime')).toLowerCase() === 'plugin') {
    out.push('a plugin service (installs a plugin on nodes)');
  }
  if (list(field(container, 'CapabilityAdd')).length > 0) out.push('added capabilities (--cap-add)');
  out.push(...mountFindings(field(container, 'Mounts')));
  const privileges = field(container, 'Privileges');
  if (text(path(privileges, 'Seccomp', 'Mode')).toLowerCase() === 'unconfined')
    out.push('seccomp unconfined');
  if (text(path(privileges, 'AppArmor', 'Mode')).toLowerCase() === 'disabled') out.push('AppArmor disabled');
  if (path(privileges, 'SELinuxContext', 'Disable') === true) out.push('SELinux labels disabled');
  if (list(field(container, 'Devices')).length > 0) out.push('devices');
  return out;
}

/** Namespace modes of a container that share the host's (or another container's). */
const NAMESPACE_MODES: [string, string][] = [
  ['NetworkMode', 'network'],
  ['PidMode', 'PID'],
  ['IpcMode', 'IPC'],
  ['UTSMode', 'UTS'],
  ['UsernsMode', 'user'],
  ['CgroupnsMode', 'cgroup'],
];

/** Findings in a container create body (POST /containers/create). */
export function containerFindings(body: unknown): string[] {
  const host = field(body, 'HostConfig');
  const out: string[] = [];
  if (field(host, 'Privileged') === true) out.push('privileged mode');
  if (list(field(host, 'CapAdd')).length > 0) out.push('added capabilities (--cap-add)');
  for (const bind of list(field(host, 'Binds')).map(text)) {
    const source = bind.split(':')[0] ?? '';
    if (source.startsWith('/') || source.startsWith('.') || source.includes('\\')) {
      out.push(`a bind mount of the host path ${source}`);
    }
  }
  out.push(...mountFindings(field(host, 'Mounts')));
  if (text(field(host, 'VolumeDriver')) !== '') out.push('a volume plugin');
  if (list(field(host, 'VolumesFrom')).length > 0) out.push("another container's volumes (--volumes-from)");
  for (const [key, name] of NAMESPACE_MODES) {
    const mode = text(field(host, key)).toLowerCase();
    if (mode === 'host') out.push(`the host ${name} namespace`);
    if (mode.startsWith('container:')) out.push(`another container's ${name} namespace`);
  }
  if (list(field(host, 'Devices')).length > 0) out.push('devices');
  if (list(field(host, 'DeviceRequests')).length > 0) out.push('device requests (GPUs)');
  if (list(field(host, 'DeviceCgroupRules')).length > 0) out.push('device cgroup rules');
  if (text(field(host, 'CgroupParent')) !== '') out.push('a cgroup parent');
  out.push(...securityOptFindings(field(host, 'SecurityOpt')));
  return out;
}

/** Findings in a network create body: drivers that put containers on the node's own network. */
export function networkFindings(body: unknown): string[] {
  const driver = text(field(body, 'Driver')).toLowerCase();
  return ['host', 'macvlan', 'ipvlan'].includes(driver) ? [`the ${driver} network driver`] : [];
}

/** Findings in a volume create body: host paths through the local driver, or a volume plugin. */
export function volumeFindings(body: unknown): string[] {
  const driver = text(field(body, 'Driver'));
  return hostPathVolume(driver, stringMap(field(body, 'DriverOpts')))
    ? ['a volume that mounts a host path or uses a volume plugin']
    : [];
}
