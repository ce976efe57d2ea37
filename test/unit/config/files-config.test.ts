import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClusterText } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';

// `files:` in the cluster file: sources relative to the file, checked to be regular files; destinations,
// modes, owners and services checked as what they are, each problem at its file:line.

const dir = mkdtempSync(join(tmpdir(), 'eectl-files-config-'));
mkdirSync(join(dir, 'files'));
writeFileSync(join(dir, 'files', 'ca.crt'), 'CA\n');
mkdirSync(join(dir, 'files', 'a-directory'));

const file = (files: string, host = '') => `apiVersion: eectl/v1
kind: Cluster
metadata: { name: t }
spec:
  hosts:
    - address: 10.0.0.11
      role: manager
${host}
  files:
${files}
`;
const check = (text: string) =>
  checkClusterText(text, { file: 'cluster.yaml', env: {}, baseDir: dir, checkFiles: true });
const problems = (text: string) => check(text).errors.map(formatProblem);

describe('files: in the cluster file', () => {
  it('accepts an entry and resolves its source relative to the cluster file', () => {
    const text = file(
      '    - { source: files/ca.crt, destination: /etc/docker/certs.d/reg:5000/ca.crt, mode: "0600", owner: "root:docker", restart: docker }',
    );
    const result = check(text);
    expect(result.errors.map(formatProblem)).toEqual([]);
    expect(result.config?.spec.files).toEqual([
      {
        source: join(dir, 'files', 'ca.crt'),
        destination: '/etc/docker/certs.d/reg:5000/ca.crt',
        mode: '0600',
        owner: 'root:docker',
        restart: 'docker',
      },
    ]);
  });

  it('a source that is missing or not a regular file is an error at its line', () => {
    expect(
      problems(
        file(
          [
            '    - { source: files/nope.crt, destination: /etc/a }',
            '    - { source: files/a-directory, destination: /etc/b }',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      `cluster.yaml:10:17: spec.files[0].source: file to upload ${join(dir, 'files', 'nope.crt')} does not exist`,
      `cluster.yaml:11:17: spec.files[1].source: file to upload ${join(dir, 'files', 'a-directory')} is not a regular file`,
    ]);
  });

  it("a host's own files are checked with their own lines", () => {
    const found = problems(
      file(
        '    - { source: files/ca.crt, destination: /etc/a }',
        '      files: [{ source: files/gone, destination: /etc/a }]',
      ),
    );
    expect(found).toEqual([
      `cluster.yaml:8:25: spec.hosts[0].files[0].source: file to upload ${join(dir, 'files', 'gone')} does not exist`,
    ]);
  });

  it.each([
    ['destination: etc/motd', 'spec.files[0].destination: must be an absolute path'],
    ['destination: /etc/../etc/eectl/pki/ca.pem', 'spec.files[0].destination: must not contain . or ..'],
    ['destination: /etc//motd', 'spec.files[0].destination: must be written normalized, as /etc/motd'],
    [
      'destination: /etc/docker/daemon.json',
      'spec.files[0].destination: refused: eectl writes it from engine.daemon',
    ],
    [
      'destination: /etc/eectl/pki/ca.pem',
      "spec.files[0].destination: refused: it is one of eectl's own files",
    ],
    ['destination: "/etc/motd\\n/etc/shadow"', 'spec.files[0].destination: must be a path on one line'],
    ['destination: /etc/motd, mode: 644', 'spec.files[0].mode: must be an octal string'],
    ['destination: /etc/motd, mode: "4755"', 'spec.files[0].mode: must be octal permission bits'],
    ['destination: /etc/motd, mode: "0999"', 'spec.files[0].mode: must be octal permission bits'],
    ['destination: /etc/motd, owner: "root; id"', 'spec.files[0].owner: must be user or user:group'],
    ['destination: /etc/motd, owner: "-R:root"', 'spec.files[0].owner: must be user or user:group'],
    ['destination: /etc/motd, owner: "root:"', 'spec.files[0].owner: must be user or user:group'],
    ['destination: /etc/motd, restart: "docker; reboot"', 'spec.files[0].restart: must be a service name'],
    ['destination: /etc/motd, restart: "--now"', 'spec.files[0].restart: must be a service name'],
    [
      'destination: /etc/motd, restart: docker.service',
      'spec.files[0].restart: must be the service name without .service',
    ],
    [
      'destination: /etc/motd, restart: eectl-authz',
      "spec.files[0].restart: must not be one of eectl's own services",
    ],
  ])('refuses %s with its position', (fields, message) => {
    const found = problems(file(`    - { source: files/ca.crt, ${fields} }`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^cluster\.yaml:10:\d+: /);
    expect(found[0]).toContain(message);
  });

  it('the same destination twice in one list is an error; a host entry for a spec.files destination is not', () => {
    const twice = file(
      [
        '    - { source: files/ca.crt, destination: /etc/a }',
        '    - { source: files/ca.crt, destination: /etc/a }',
      ].join('\n'),
    );
    expect(problems(twice)).toEqual([
      'cluster.yaml:11:44: spec.files[1].destination: duplicate destination /etc/a: spec.files[0] has it too',
    ]);
    const override = file(
      '    - { source: files/ca.crt, destination: /etc/a }',
      '      files: [{ source: files/ca.crt, destination: /etc/a }]',
    );
    expect(problems(override)).toEqual([]);
  });
});
