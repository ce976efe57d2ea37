import { posix } from 'node:path';
import { REGISTRY_MIRRORS_DIR } from '../host-layout.js';
import { SWARM_PORTS } from './fields.js';
import type { ConfigProblem } from './problems.js';
import type { EngineSpec, RegistrySpec } from './schema.js';
import type { Locator } from './source.js';

/** The only upstream an engine's `registry-mirrors` applies to: dockerd sends Docker Hub pulls there and no others. */
export const DOCKER_HUB_HOSTS = ['registry-1.docker.io', 'index.docker.io', 'docker.io'];

/** Whether one absolute path is the other or lies inside it. */
function overlaps(a: string, b: string): boolean {
  const [x, y] = [posix.normalize(a), posix.normalize(b)];
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/**
 * registry.mirrors: unique names and ports; an http:// upstream only when the file says insecure; a
 * login needs both halves; `engines` only for Docker Hub without an upstream login (an engine sends the
 * Docker Hub login, not the mirror's, so such a mirror serves pulls without one: only public images may
 * sit behind it) and never beside the file's own engine.daemon registry-mirrors; registry storage inside
 * the caches' directory is refused; with token auth, a mirror no namespace maps is warned about (admins only).
 */
export function mirrorProblems(
  registry: RegistrySpec,
  others: { engine?: EngineSpec | undefined; apiPort?: number | undefined },
  loc: Locator,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  const ports = new Map<number, number>();
  registry.mirrors.forEach((m, i) => {
    const at = ['spec', 'registry', 'mirrors', i];
    const error = (path: (string | number)[], message: string) =>
      problems.push(loc.problem('error', [...at, ...path], message));
    const sameName = names.get(m.name);
    if (sameName !== undefined)
      error(['name'], `duplicate mirror ${m.name}: mirrors[${sameName}] has it too`);
    names.set(m.name, i);
    const samePort = ports.get(m.port);
    if (samePort !== undefined)
      error(['port'], `port ${m.port} is mirrors[${samePort}]'s too: choose another`);
    ports.set(m.port, i);
    if (m.port === registry.port)
      error(['port'], `${m.port} is the registry's port: give the mirror its own`);
    if (m.port === others.apiPort) error(['port'], `${m.port} is the engine API's port: choose another`);
    if ((SWARM_PORTS as readonly number[]).includes(m.port))
      error(['port'], `${m.port} is the swarm's port: choose another`);
    if (registry.auth?.token && m.port === registry.auth.token.port)
      error(['port'], `${m.port} is the token service's port: choose another`);
    const upstream = new URL(m.upstream);
    if (upstream.protocol === 'http:' && !m.insecure)
      error(
        ['upstream'],
        'an http:// upstream needs insecure: true (images travel unencrypted); prefer https://',
      );
    if ((m.username === undefined) !== (m.passwordEnv === undefined))
      error([m.username === undefined ? 'passwordEnv' : 'username'], 'username and passwordEnv go together');
    if (registry.auth?.token && !m.engines && !registry.namespaces.some((n) => n.name === m.name)) {
      const message = `no registry.namespaces entry named ${m.name}: only admins may pull through this mirror (map ${m.name} to a collection to grant pulls)`;
      problems.push(loc.problem('warning', [...at, 'name'], message));
    }
    if (!m.engines) return;
    if (!DOCKER_HUB_HOSTS.includes(upstream.hostname) || upstream.protocol !== 'https:')
      error(
        ['engines'],
        "engines: true is for a Docker Hub mirror (https://registry-1.docker.io): engines send only Docker Hub's pulls to registry-mirrors",
      );
    if (m.username !== undefined)
      error(
        ['engines'],
        "engines: true serves pulls without a login (engines send Docker Hub's login, not the mirror's), so it must not hold an upstream login: drop username/passwordEnv",
      );
    if (others.engine?.daemon['registry-mirrors'] !== undefined)
      error(['engines'], 'engine.daemon sets registry-mirrors too: keep one of them');
  });
  if (registry.mirrors.length > 0 && 'filesystem' in registry.storage) {
    const path = registry.storage.filesystem.path;
    if (overlaps(path, REGISTRY_MIRRORS_DIR)) {
      problems.push(
        loc.problem(
          'error',
          ['spec', 'registry', 'storage', 'filesystem', 'path'],
          `${path} overlaps the mirrors' caches in ${REGISTRY_MIRRORS_DIR}: the registry's garbage collection must never reach them; choose another path`,
        ),
      );
    }
  }
  return problems;
}
