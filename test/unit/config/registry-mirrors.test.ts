import { describe, expect, it } from 'vitest';
import { check, HEAD, lines, THREE_MANAGERS } from './helpers.js';

/** Three managers and a registry host (lines 6–14), then the registry section from line 15. */
const withRegistry = (registry: string, extra = '') => `${HEAD}${THREE_MANAGERS}    - address: 10.0.0.9
      role: registry
  registry:
${registry}${extra}`;

describe('registry.mirrors in the cluster file', () => {
  it('reads a mirror with its defaults: https upstream, no login, not in the engines', () => {
    const { config, errors } = check(
      withRegistry(
        '    mirrors:\n      - { name: hub, upstream: "https://registry-1.docker.io", port: 5446 }\n',
      ),
    );
    expect(errors).toEqual([]);
    expect(config?.spec.registry.mirrors).toEqual([
      { name: 'hub', upstream: 'https://registry-1.docker.io', port: 5446, insecure: false, engines: false },
    ]);
  });

  it('has no mirrors when the file names none', () => {
    expect(check(withRegistry('    port: 5443\n')).config?.spec.registry.mirrors).toEqual([]);
  });

  it('refuses a name that cannot be a service name, braces that a config template would run, and a port clash', () => {
    expect(
      lines(
        withRegistry(
          [
            '    mirrors:',
            '      - { name: Hub_1, upstream: "https://h.example/{{x}}", port: 5443 }',
            '      - { name: hub, upstream: "https://h.example", port: 2377, username: "a{{b" , passwordEnv: P }',
            '      - { name: hub, upstream: "https://h.example", port: 2377 }',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'cluster.yaml:17:17: spec.registry.mirrors[0].name: must be lower-case letters and digits, joined by -',
      'cluster.yaml:17:34: spec.registry.mirrors[0].upstream: must not contain { or }',
      'cluster.yaml:18:75: spec.registry.mirrors[1].username: must not contain { } or control characters',
    ]);
    expect(
      lines(
        withRegistry(
          [
            '    mirrors:',
            '      - { name: hub, upstream: "https://h.example", port: 5443 }',
            '      - { name: hub, upstream: "https://h.example", port: 2377 }',
            '      - { name: quay, upstream: "https://h.example", port: 2377 }',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      "cluster.yaml:17:59: spec.registry.mirrors[0].port: 5443 is the registry's port: give the mirror its own",
      'cluster.yaml:18:17: spec.registry.mirrors[1].name: duplicate mirror hub: mirrors[0] has it too',
      "cluster.yaml:18:59: spec.registry.mirrors[1].port: 2377 is the swarm's port: choose another",
      "cluster.yaml:19:60: spec.registry.mirrors[2].port: port 2377 is mirrors[1]'s too: choose another",
      "cluster.yaml:19:60: spec.registry.mirrors[2].port: 2377 is the swarm's port: choose another",
    ]);
  });

  it('admits http:// only with insecure: true, and a login only as username and passwordEnv together', () => {
    const problems = lines(
      withRegistry(
        [
          '    mirrors:',
          '      - { name: a, upstream: "http://10.0.0.50:5000", port: 5446 }',
          '      - { name: b, upstream: "http://10.0.0.50:5000", port: 5447, insecure: true, username: u }',
          '      - { name: c, upstream: "https://h.example", port: 5448, username: u, passwordEnv: C_PASSWORD }',
          '',
        ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      'cluster.yaml:17:30: spec.registry.mirrors[0].upstream: an http:// upstream needs insecure: true (images travel unencrypted); prefer https://',
      'cluster.yaml:18:93: spec.registry.mirrors[1].username: username and passwordEnv go together',
    ]);
  });

  it('admits engines: true only for Docker Hub, without an upstream login, and not beside engine.daemon registry-mirrors', () => {
    const hub = '"https://registry-1.docker.io"';
    expect(
      lines(
        withRegistry(`    mirrors:\n      - { name: hub, upstream: ${hub}, port: 5446, engines: true }\n`),
      ),
    ).toEqual([]);
    const problems = lines(
      withRegistry(
        [
          '    mirrors:',
          '      - { name: q, upstream: "https://quay.io", port: 5446, engines: true }',
          `      - { name: hub, upstream: ${hub}, port: 5447, engines: true, username: u, passwordEnv: P }`,
          '',
        ].join('\n'),
        '  engine:\n    daemon:\n      registry-mirrors: ["https://elsewhere.example"]\n',
      ),
    );
    expect(problems.map((p) => p.replace(/^cluster\.yaml:\d+:\d+: /, ''))).toEqual([
      "spec.registry.mirrors[0].engines: engines: true is for a Docker Hub mirror (https://registry-1.docker.io): engines send only Docker Hub's pulls to registry-mirrors",
      'spec.registry.mirrors[0].engines: engine.daemon sets registry-mirrors too: keep one of them',
      "spec.registry.mirrors[1].engines: engines: true serves pulls without a login (engines send Docker Hub's login, not the mirror's), so it must not hold an upstream login: drop username/passwordEnv",
      'spec.registry.mirrors[1].engines: engine.daemon sets registry-mirrors too: keep one of them',
    ]);
  });

  it("refuses registry storage that overlaps the mirrors' caches; warns of a token-auth mirror no namespace maps", () => {
    const mirrors = '    mirrors:\n      - { name: hub, upstream: "https://h.example", port: 5446 }\n';
    expect(
      lines(withRegistry(`    storage: { filesystem: { path: /var/lib/eectl } }\n${mirrors}`)).map((p) =>
        p.replace(/^cluster\.yaml:\d+:\d+: /, ''),
      ),
    ).toEqual([
      "spec.registry.storage.filesystem.path: /var/lib/eectl overlaps the mirrors' caches in /var/lib/eectl/registry-mirrors: the registry's garbage collection must never reach them; choose another path",
    ]);
    expect(
      lines(withRegistry(`    storage: { filesystem: { path: /var/lib/eectl/registry } }\n${mirrors}`)),
    ).toEqual([]);
    const access = '  access:\n    users: [{ name: ann, admin: true }]\n';
    expect(lines(withRegistry(`    auth: { token: {} }\n${mirrors}`, access))).toEqual([
      'cluster.yaml:18:17: warning: spec.registry.mirrors[0].name: no registry.namespaces entry named hub: only admins may pull through this mirror (map hub to a collection to grant pulls)',
    ]);
    const mapped = '    namespaces: [{ name: hub, collection: /Shared/hub }]\n';
    expect(lines(withRegistry(`    auth: { token: {} }\n${mapped}${mirrors}`, access))).toEqual([]);
  });
});
