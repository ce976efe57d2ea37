import { EectlError, ExitCode } from '../errors.js';

/** moby's swarm state file in the swarm directory: the addresses the engine binds and advertises at start. */
export const SWARM_STATE_FILE = 'docker-state.json';

/**
 * moby's `nodeStartConfig` as it saves it (daemon/cluster/noderunner.go, exported fields only): read at
 * every engine start to start the swarm node before anything else. Fields not named here are kept as
 * they are.
 */
interface SwarmStartConfig {
  /** This machine's own address, when one was given. */
  LocalAddr?: string;
  /** The address `swarm join` was given (a manager of the old cluster); only used to find LocalAddr. */
  RemoteAddr?: string;
  /** host:port the swarm listener binds (2377). */
  ListenAddr?: string;
  /** host:port the other nodes reach this one at; the Raft address it asks for. */
  AdvertiseAddr?: string;
  /** The address of the data path (VXLAN), when one was given. */
  DataPathAddr?: string;
  [other: string]: unknown;
}

/** `host:port` → its host (brackets of an IPv6 address taken off) and port. */
function splitHostPort(value: string): { host: string; port: string } | undefined {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(value);
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}

const joinHostPort = (host: string, port: string) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * Points the restored manager's start configuration at its new address, before its engine first starts:
 * with the old one, the engine cannot bind its swarm listener (the address is not on this host), the swarm
 * node does not start as a manager, and `swarm init --force-new-cluster` is refused ("not a swarm
 * manager"). Each field that holds the old address gets the new one; RemoteAddr (an old manager) is
 * cleared. The Raft membership is not here: see handOffRaftIdentity.
 */
export function readdressSwarmState(
  text: string,
  oldAddress: string,
  newAddress: string,
): { text: string; changed: string[] } {
  let state: SwarmStartConfig;
  try {
    state = JSON.parse(text) as SwarmStartConfig;
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('not an object');
  } catch (error) {
    throw new EectlError(
      `the restored ${SWARM_STATE_FILE} is not moby's swarm start configuration (${(error as Error).message})`,
      { code: 'ERESTORE_STATE', kind: 'external', exitCode: ExitCode.partial },
    );
  }
  const changed: string[] = [];
  const set = (field: keyof SwarmStartConfig & string, value: string) => {
    if (state[field] === value) return;
    state[field] = value;
    changed.push(field);
  };
  if (state.LocalAddr === oldAddress) set('LocalAddr', newAddress);
  if (state.DataPathAddr === oldAddress) set('DataPathAddr', newAddress);
  for (const field of ['ListenAddr', 'AdvertiseAddr'] as const) {
    const value = state[field];
    const parts = typeof value === 'string' ? splitHostPort(value) : undefined;
    if (parts?.host === oldAddress) set(field, joinHostPort(newAddress, parts.port));
  }
  if (typeof state.RemoteAddr === 'string' && state.RemoteAddr !== '') set('RemoteAddr', '');
  return { text: JSON.stringify(state), changed };
}
