import { describe, expect, it } from 'vitest';
import { HEAD, lines, THREE_MANAGERS } from './helpers.js';

describe('schema problems: worded for people, on the line that causes them', () => {
  it('names the allowed values of an enum at the value', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1
      role: manager
    - address: 10.0.0.2
      role: manager
    - address: 10.0.0.3
      role: boss
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:12:13: spec.hosts[2].role: must be one of manager, worker, registry',
    ]);
  });

  it('reports a missing key at the map that lacks it', () => {
    const text = `${HEAD}${THREE_MANAGERS}    - address: 10.0.0.4
      ssh: { user: ops }
`;
    expect(lines(text)).toEqual(['cluster.yaml:13:7: spec.hosts[3].role: is required']);
  });

  it('reports a missing top-level key at the start of the document', () => {
    const text = `apiVersion: eectl/v1\nmetadata: { name: t }\nspec:\n${THREE_MANAGERS}`;
    expect(lines(text)).toEqual(['cluster.yaml:1:1: kind: is required']);
  });

  it('reports an unknown key at the key, with the closest allowed key', () => {
    const text = `${HEAD}${THREE_MANAGERS}      adress: 10.0.0.9
      ssh: { user: ops, keypath: ~/.ssh/id_ed25519 }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:7: spec.hosts[2]: unknown key "adress" (did you mean "address"?)',
      'cluster.yaml:14:25: spec.hosts[2].ssh: unknown key "keypath" (did you mean "keyPath"?)',
    ]);
  });

  it('lists the allowed keys when no key is close', () => {
    const text = `${HEAD}${THREE_MANAGERS}  swarm: { mtu: 1450 }\n`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:12: spec.swarm: unknown key "mtu" (expected one of defaultAddrPool, subnetSize, dataPathPort)',
    ]);
  });

  it('explains wrong types, including YAML numbers that should be strings and quoted numbers', () => {
    const text = `${HEAD}${THREE_MANAGERS}      ssh: { port: "22" }
      labels: { zone: 1 }
  engine:
    version: 26.10
  controlPlane:
    apiPort: api
    san: example.com
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:20: spec.hosts[2].ssh.port: must be a number, not the string "22": remove the quotes',
      'cluster.yaml:14:23: spec.hosts[2].labels.zone: must be a string: put it in quotes, "1"',
      'cluster.yaml:16:14: spec.engine.version: must be a string: put it in quotes, "26.10"',
      'cluster.yaml:18:14: spec.controlPlane.apiPort: must be a number, not the string "api"',
      'cluster.yaml:19:10: spec.controlPlane.san: must be a list, not the string "example.com"',
    ]);
  });

  it('says when a value is empty, and when a boolean is written as yes', () => {
    const text = `${HEAD}${THREE_MANAGERS}      ssh:
  registry:
    storage: { filesystem: { path: /srv/registry, shared: yes } }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:7: spec.hosts[2].ssh: must be a map, but it is empty',
      'cluster.yaml:15:59: spec.registry.storage.filesystem.shared: must be true or false ("yes" is a string in YAML 1.2)',
    ]);
  });

  it('words size limits by what is measured', () => {
    const text = `${HEAD}  hosts:
    - address: ""
      role: manager
      ssh: { port: 0 }
  swarm:
    dataPathPort: 70000
    subnetSize: 30
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:7:16: spec.hosts[0].address: must not be empty',
      'cluster.yaml:9:20: spec.hosts[0].ssh.port: must be at least 1',
      'cluster.yaml:11:19: spec.swarm.dataPathPort: must be at most 65535',
      'cluster.yaml:12:17: spec.swarm.subnetSize: must be at most 29',
    ]);
  });

  it("keeps the schema's own messages for patterns and an empty host list", () => {
    const text = `apiVersion: eectl/v2
kind: Cluster
metadata:
  name: Prod_1
spec:
  hosts: []
  registry:
    auth: { htpasswd: { users: [{ name: ci, passwordEnv: ci-password }] } }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:1:13: apiVersion: must be eectl/v1',
      'cluster.yaml:4:9: metadata.name: must be lower-case letters, digits and dashes',
      'cluster.yaml:6:10: spec.hosts: must list at least one host',
      'cluster.yaml:8:58: spec.registry.auth.htpasswd.users[0].passwordEnv: must be the name of an environment variable (letters, digits, _)',
    ]);
  });

  it('explains formats: URLs and CIDRs', () => {
    const text = `${HEAD}${THREE_MANAGERS}  engine: { source: mirror, repoUrl: mirror.internal/debian }
  swarm: { defaultAddrPool: [10.20.0.0/16, 10.30.0.0] }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:13:38: spec.engine.repoUrl: must be a URL starting with http://, https:// or file://',
      'cluster.yaml:14:44: spec.swarm.defaultAddrPool[1]: must be an IPv4 CIDR such as 10.20.0.0/16',
    ]);
  });

  it('words registry storage, which is one of two shapes', () => {
    const storage = (value: string) => `${HEAD}${THREE_MANAGERS}  registry:\n    storage: ${value}\n`;
    expect(lines(storage('{}'))).toEqual([
      'cluster.yaml:14:14: spec.registry.storage: needs one of: filesystem, s3',
    ]);
    expect(lines(storage('/srv/registry'))).toEqual([
      'cluster.yaml:14:14: spec.registry.storage: must be a map with one of: filesystem, s3',
    ]);
    expect(lines(storage('{ filesystem: { path: /srv }, s3: { bucket: b } }'))).toEqual([
      'cluster.yaml:14:44: spec.registry.storage: "s3" cannot be combined with "filesystem": use one of them',
    ]);
    // The option the value meant is judged, not the other one.
    expect(lines(storage('{ s3: { bucket: b, region: r, accessKeyEnv: A, secretKey: B } }'))).toEqual([
      'cluster.yaml:14:20: spec.registry.storage.s3.secretKeyEnv: is required',
      'cluster.yaml:14:61: spec.registry.storage.s3: unknown key "secretKey" (did you mean "secretKeyEnv"?)',
    ]);
  });

  it('reports every problem, not only the first', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1
      role: captain
      user: ops
  engine: { source: apt }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:7:5: spec.hosts: no manager: at least one host needs role: manager (3 managers tolerate 1 failure)',
      'cluster.yaml:8:13: spec.hosts[0].role: must be one of manager, worker, registry',
      'cluster.yaml:9:7: spec.hosts[0]: unknown key "user" (expected one of address, role, ssh, localhost, privateAddress, labels, collection, files, proxy)',
      'cluster.yaml:10:21: spec.engine.source: must be one of docker, distro, mirror',
    ]);
  });
});

describe('file-level problems', () => {
  it('reports YAML syntax errors with their position, and nothing else', () => {
    expect(lines(`${HEAD}  hosts: [\n    - address: x\n`)[0]).toMatch(/^cluster\.yaml:\d+:\d+: YAML: /);
    const duplicate = `${HEAD}${THREE_MANAGERS}      role: worker\n`;
    expect(lines(duplicate)).toEqual(['cluster.yaml:13:7: YAML: key "role" appears twice in the same map']);
  });

  it('reports an empty file', () => {
    expect(lines('# nothing yet\n')).toEqual([
      'cluster.yaml:1:1: the file is empty: write one with `eectl init`',
    ]);
  });

  it('reports a document that is not a map', () => {
    expect(lines('- a\n- b\n')).toEqual(['cluster.yaml:1:1: must be a map, not a list']);
  });
});

describe('odd shapes', () => {
  it.each([
    'spec: 5\napiVersion: eectl/v1\nkind: Cluster\nmetadata: { name: x }\n',
    `${HEAD}  hosts: { a: 1 }\n`,
    `${HEAD}  hosts: [1, [2], null, "x"]\n`,
    `${HEAD}  hosts:\n    - address: [a]\n      role: { manager: 1 }\n      ssh: [user]\n`,
    `${HEAD}${THREE_MANAGERS}  registry: { storage: { filesystem: 3 } }\n  engine: []\n  ? [complex]\n  : key\n`,
    'just a string\n',
    '[]\n',
    `${HEAD}${THREE_MANAGERS}  images: { bundles: &b [x] }\n  swarm: { defaultAddrPool: *b }\n`,
  ])('reports problems without crashing: %j', (text) => {
    const found = lines(text);
    expect(found.length).toBeGreaterThan(0);
    for (const line of found) expect(line).toMatch(/^cluster\.yaml:\d+:\d+: /);
  });
});
