import { describe, expect, it } from 'vitest';
import { checkClusterText } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';

/** A valid file with one host, and `extra` merged in as YAML lines under spec (or the host). */
function file(host: string, spec = ''): string {
  return `apiVersion: eectl/v1
kind: Cluster
metadata: { name: t }
spec:
  hosts:
    - { address: 10.0.0.11, role: manager${host} }
${spec}`;
}
const problems = (text: string) =>
  checkClusterText(text, { file: 'cluster.yaml', env: {} }).errors.map(formatProblem);

describe('every field is checked as what it is', () => {
  it('accepts host names and IP addresses where an address is asked for', () => {
    expect(problems(file(', ssh: { bastion: { address: jump.example.com } }'))).toEqual([]);
    expect(problems(file(', privateAddress: 10.0.0.11'))).toEqual([]);
    expect(problems(file(', privateAddress: "fd00::11"'))).toEqual([]);
  });

  it.each([
    ['address', `address: "10.0.0.12; touch /tmp/pwned"`],
    ['privateAddress', `privateAddress: "10.0.0.11/1; touch /tmp/pwned; #"`],
    ['privateAddress is an IP, not a name', 'privateAddress: m1.example.com'],
    ['bastion address', 'ssh: { bastion: { address: "jump$(id)" } }'],
    ['ssh user', 'ssh: { user: "ops; id" }'],
    ['label key with =', 'labels: { "a=b": x }'],
    ['reserved label key', 'labels: { eectl.role: x }'],
    ['label value with a newline', 'labels: { zone: "a\\nb" }'],
    ['key path with a newline', 'ssh: { keyPath: "/k\\nid" }'],
  ])('refuses a hostile %s with its position', (_what, field) => {
    // The host's own address is replaced; any other field is added to the host.
    const fixed = field.startsWith('address:')
      ? file('').replace('address: 10.0.0.11', field)
      : file(`, ${field}`);
    const found = problems(fixed);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^cluster\.yaml:6:\d+: spec\.hosts\[0\]\./);
  });

  it.each([
    ['registry path relative', 'registry: { storage: { filesystem: { path: data/registry } } }', 'absolute'],
    [
      'registry path with a comma',
      'registry: { storage: { filesystem: { path: "/srv/reg,ro" } } }',
      'commas',
    ],
    ['registry path with ..', 'registry: { storage: { filesystem: { path: /var/lib/../../etc } } }', '..'],
    ['externalUrl not a URL', 'registry: { externalUrl: "https://reg istry" }', 'HOST'],
    ['externalUrl with a path', 'registry: { externalUrl: "https://reg.example.com/v2" }', 'HOST'],
    ['registry image', 'registry: { image: "registry:2; id" }', 'image reference'],
    [
      'registry user name',
      'registry: { auth: { htpasswd: { users: [{ name: "a:b", passwordEnv: P }] } } }',
      'user name',
    ],
    ['engine version', 'engine: { version: "26.1; id" }', 'package version'],
    [
      'repoUrl with a line break',
      'engine: { source: mirror, repoUrl: "http://m/ ./\\ndeb http://x/ ./" }',
      'URL',
    ],
    ['SAN', 'controlPlane: { san: ["$(id)"] }', 'host name'],
  ])('refuses a %s', (_what, spec, words) => {
    const found = problems(file('', `  ${spec}\n`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^cluster\.yaml:7:\d+: spec\./);
    expect(found[0]).toContain(words);
  });

  it('accepts what these fields really hold', () => {
    const spec = [
      '  registry:',
      '    externalUrl: registry.example.com:5443',
      '    image: registry.example.com:5000/mirror/registry:2.8.3',
      '    storage: { filesystem: { path: /mnt/registry } }',
      '    auth: { htpasswd: { users: [{ name: ci.bot, passwordEnv: P }] } }',
      '  engine: { version: "5:26.1.4-1~debian.12~bookworm" }',
      '  controlPlane: { san: [cluster.example.com, "*.apps.example.com", 10.0.0.100] }',
      '',
    ].join('\n');
    expect(problems(file(', labels: { zone: eu-1, team/owner: ops }', spec))).toEqual([]);
  });

  it('keeps the API and registry ports clear of each other and of the swarm', () => {
    expect(problems(file('', '  controlPlane: { apiPort: 2377 }\n'))).toEqual([
      "cluster.yaml:7:28: spec.controlPlane.apiPort: 2377 is the swarm's port 2377: choose another",
    ]);
    expect(problems(file('', '  registry: { port: 7946 }\n'))[0]).toContain("7946 is the swarm's port 7946");
    expect(problems(file('', '  registry: { port: 4789 }\n'))[0]).toContain(
      "the swarm's data path port 4789",
    );
    expect(problems(file('', '  registry: { port: 2376 }\n'))).toEqual([
      'cluster.yaml:7:21: spec.registry.port: the registry and the engine API would both listen on 2376: choose another port',
    ]);
    expect(problems(file('', '  controlPlane: { apiPort: 2380 }\n  registry: { port: 5000 }\n'))).toEqual([]);
  });
});
