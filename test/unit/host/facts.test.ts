import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPrivateIPv4, parseFacts } from '../../../src/lib/host/facts.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8');

const swarmManager = `hostname=m1
kernel=6.1.0-18-amd64
machine=aarch64
time=1700000000
user=eectl
uid=1000
sudo=1
cpus=4
mem_kb=8000000
disk_free_kb=1000
init=systemd
pm=dnf
route_src=10.77.0.11
@@listening
tcp 0.0.0.0:22
tcp 10.77.0.11:2377
udp *:7946
tcp [::]:7946
@@addresses
eth1 192.168.5.3/24
eth0 10.77.0.11/24
eth2 203.0.113.9/24
docker0 172.17.0.1/16
docker_gwbridge 172.18.0.1/16
br-0123abcd 172.19.0.1/16
@@os-release
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
@@packages
docker-ce 26.1.4-1.el9
@@engine
active=active
server=26.1.4
swarm={"NodeID":"abc","NodeAddr":"10.77.0.11","LocalNodeState":"active","ControlAvailable":true,"Error":"","RemoteManagers":[{"NodeID":"abc","Addr":"10.77.0.11:2377"},{"NodeID":"def","Addr":"10.77.0.12:2377"}],"Nodes":3,"Managers":2,"Cluster":{"ID":"cid"}}
@@file /etc/docker/daemon.json
eyJsb2ctZHJpdmVyIjogImpzb24tZmlsZSJ9Cg==
@@end
`;

describe('parseFacts', () => {
  it('parses a Debian 12 host with an engine and no swarm', () => {
    const f = parseFacts(fixture('facts-debian12-engine.txt'));
    expect(f.os).toMatchObject({ id: 'debian', versionId: '12', codename: 'bookworm' });
    expect(f.arch).toBe('amd64');
    expect(f.packageManager).toBe('apt');
    expect(f.isRoot).toBe(true);
    expect(f.engine).toMatchObject({
      packageName: 'docker.io',
      serverVersion: '20.10.24+dfsg1',
      running: true,
    });
    expect(f.engine?.packageVersion).toBe('20.10.24+dfsg1-1+deb12u1+b6');
    expect(f.swarm?.state).toBe('inactive');
    expect(f.memoryBytes).toBe(24684100 * 1024);
  });

  it('parses a swarm manager on a RHEL-family host, route source address first', () => {
    const f = parseFacts(swarmManager);
    expect(f.os).toMatchObject({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4' });
    expect(f.os.codename).toBeUndefined();
    expect(f.arch).toBe('arm64');
    expect(f.isRoot).toBe(false);
    expect(f.sudo).toBe(true);
    expect(f.privateAddresses).toEqual(['10.77.0.11', '192.168.5.3']);
    expect(f.addresses).toEqual(['192.168.5.3', '10.77.0.11', '203.0.113.9']);
    expect(f.files).toEqual({ '/etc/docker/daemon.json': '{"log-driver": "json-file"}\n' });
    expect(f.listening).toEqual(['22/tcp', '2377/tcp', '7946/udp', '7946/tcp']);
    expect(f.swarm).toEqual({
      state: 'active',
      nodeId: 'abc',
      clusterId: 'cid',
      isManager: true,
      remoteManagers: ['10.77.0.11:2377', '10.77.0.12:2377'],
      nodeAddr: '10.77.0.11',
    });
  });

  it('reports no engine when neither a package nor a docker CLI is there', () => {
    const noEngine = swarmManager.replace(/@@packages[\s\S]*@@end/, '@@packages\n@@engine\n@@end');
    const f = parseFacts(noEngine);
    expect(f.engine).toBeUndefined();
    expect(f.swarm).toBeUndefined();
  });

  it('reads which engine packages are held, so every converge can hold those that are not', () => {
    const held = swarmManager.replace(
      '@@packages',
      '@@holds\ndocker-ce held\ndocker-ce-cli free\n@@packages',
    );
    expect(parseFacts(held).packageHolds).toEqual([
      { name: 'docker-ce', held: true },
      { name: 'docker-ce-cli', held: false },
    ]);
    expect(parseFacts(swarmManager).packageHolds).toEqual([]);
  });

  it('refuses truncated output', () => {
    expect(() => parseFacts(swarmManager.replace('@@end', ''))).toThrow(/incomplete/);
  });
});

describe('isPrivateIPv4', () => {
  it.each([
    ['10.0.0.1', true],
    ['172.16.0.1', true],
    ['172.31.255.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['192.0.2.2', false],
    ['8.8.8.8', false],
  ])('%s → %s', (address, expected) => expect(isPrivateIPv4(address)).toBe(expected));
});
