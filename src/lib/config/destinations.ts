import { posix } from 'node:path';
import { ENGINE_RUNTIME_PATHS, EECTL_PATHS, DAEMON_JSON, ENGINE_DATA_PATHS } from '../host-layout.js';

/**
 * Where `files:` may put a file on a host. A destination is judged as the host will use it (absolute,
 * normalized, and again after its directory's symbolic links are resolved on the host), against one table
 * of places eectl or the engine owns: a file there would fight eectl's own writes or the engine's state.
 * What the table refuses, or what cannot be judged, is refused.
 */

/** Control characters (newlines, tabs, NUL): never part of a path eectl writes. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** One refused place: every path equal to or under `tree` (or, for `name`, any path with such a part). */
type Refusal =
  | { tree: string; why: string }
  | { name: RegExp; why: string }
  | { ancestorOf: readonly string[]; why: string };

/** The table, read top to bottom; the first row that matches refuses the destination. */
export const REFUSED_DESTINATIONS: readonly Refusal[] = [
  {
    name: /eectl/i,
    why: "it is one of eectl's own files or directories (a path part that names eectl: /etc/eectl, /var/lib/eectl, /opt/eectl, eectl's units, drop-ins and package sources)",
  },
  ...EECTL_PATHS.map((tree) => ({ tree, why: 'eectl keeps its certificates, state and lock there' })),
  { tree: DAEMON_JSON, why: 'eectl writes it from engine.daemon: set the options there' },
  ...ENGINE_DATA_PATHS.filter((p) => p !== '/etc/docker').map((tree) => ({
    tree,
    why: "it is the engine's own data",
  })),
  ...ENGINE_RUNTIME_PATHS.map((tree) => ({ tree, why: "it is the engine's runtime state" })),
  ...['/run', '/proc', '/sys', '/dev', '/tmp', '/var/tmp'].map((tree) => ({
    tree,
    why: "it is volatile or the kernel's: a file there does not stay",
  })),
  {
    ancestorOf: [...EECTL_PATHS, DAEMON_JSON, '/etc/docker/certs.d', '/etc/systemd/system'],
    why: 'it is a directory',
  },
];

/** What is wrong with a destination as written in the file (shape only), or undefined. */
export function destinationShapeProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'must be a path on one line (no control characters)';
  if (!path.startsWith('/')) return 'must be an absolute path (starting with /)';
  if (path.split('/').some((part) => part === '..' || part === '.'))
    return 'must not contain . or .. (name the place itself)';
  if (path.endsWith('/')) return 'must name a file, not a directory (no trailing /)';
  if (posix.normalize(path) !== path) return `must be written normalized, as ${posix.normalize(path)}`;
  return undefined;
}

/**
 * Why eectl refuses to write a file at `path` (absolute and normalized), or undefined when the table
 * admits it. Compared case-insensitively: a name that differs only in case is refused with the original.
 */
export function refusedDestination(path: string): string | undefined {
  const shape = destinationShapeProblem(path);
  if (shape) return shape;
  const lower = path.toLowerCase();
  const parts = lower.split('/').filter(Boolean);
  for (const rule of REFUSED_DESTINATIONS) {
    if ('name' in rule && parts.some((part) => rule.name.test(part))) return rule.why;
    if ('tree' in rule && (lower === rule.tree || lower.startsWith(`${rule.tree}/`))) return rule.why;
    if ('ancestorOf' in rule && rule.ancestorOf.some((p) => p === lower || p.startsWith(`${lower}/`)))
      return rule.why;
  }
  return undefined;
}
