import { describe, expect, it } from 'vitest';
import { REFUSED_DESTINATIONS, refusedDestination } from '../../../src/lib/config/destinations.js';

describe("files' destinations: one table of what eectl and the engine own, and everything else admitted", () => {
  it.each([
    '/etc/docker/certs.d/registry.example.com:5000/ca.crt',
    '/etc/ssl/certs/corp-root.pem',
    '/etc/chrony/chrony.conf',
    '/usr/local/bin/site-tool',
    '/etc/systemd/system/docker.service.d/http-proxy.conf',
    '/etc/docker/seccomp.json',
    '/root/.docker/config.json',
  ])('admits %s', (path) => {
    expect(refusedDestination(path)).toBeUndefined();
  });

  it.each([
    ['/etc/docker/daemon.json', 'engine.daemon'],
    ['/etc/Docker/Daemon.json', 'engine.daemon'],
    ['/etc/eectl/pki/ca.pem', "eectl's own"],
    ['/etc/EECTL/pki/server-key.pem', "eectl's own"],
    ['/var/lib/eectl/lock/owner', "eectl's own"],
    ['/opt/eectl/authz/node', "eectl's own"],
    ['/etc/eectl-ingress/reload.sh', "eectl's own"],
    ['/etc/systemd/system/docker.service.d/eectl-api.conf', "eectl's own"],
    ['/etc/systemd/system/eectl-authz.service', "eectl's own"],
    ['/etc/apt/sources.list.d/eectl-docker.list', "eectl's own"],
    ['/etc/docker/daemon.json.eectl-previous', "eectl's own"],
    ['/var/lib/docker/swarm/state.json', "engine's own data"],
    ['/var/lib/containerd/x', "engine's own data"],
    ['/run/docker.sock', 'runtime state'],
    ['/proc/sys/kernel/panic', 'volatile'],
    ['/tmp/x', 'volatile'],
    ['/etc', 'a directory'],
    ['/etc/docker', 'a directory'],
    ['/etc/docker/certs.d', 'a directory'],
    ['/var/lib', 'a directory'],
  ])('refuses %s', (path, why) => {
    expect(refusedDestination(path)).toContain(why);
  });

  it.each([
    ['etc/motd', 'absolute'],
    ['/etc/../etc/eectl/pki/ca.pem', '. or ..'],
    ['/etc/./motd', '. or ..'],
    ['/etc//motd', 'normalized, as /etc/motd'],
    ['/etc/motd/', 'not a directory'],
    ['/etc/mo\ntd', 'one line'],
    ['/', 'not a directory'],
  ])('refuses the shape of %j', (path, why) => {
    expect(refusedDestination(path)).toContain(why);
  });

  it('is one table a reviewer can read: every row says why', () => {
    expect(REFUSED_DESTINATIONS.length).toBeGreaterThan(5);
    for (const row of REFUSED_DESTINATIONS) expect(row.why.length).toBeGreaterThan(10);
  });
});
