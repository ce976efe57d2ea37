import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  answersFromFlags,
  askForAnswers,
  splitAddresses,
  sshKeyWarning,
  type GivenAnswers,
  type Prompter,
} from '../../../src/lib/config/init.js';
import { checkClusterText } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';
import { renderClusterFile, type InitAnswers } from '../../../src/lib/config/template.js';

const none: GivenAnswers = { managers: [], workers: [], registries: [] };

function validate(answers: InitAnswers) {
  const check = checkClusterText(renderClusterFile(answers), {
    file: 'cluster.yaml',
    env: {},
    baseDir: '/c',
    home: '/h',
  });
  expect(check.errors.map(formatProblem)).toEqual([]);
  return check;
}

describe('answersFromFlags (no terminal)', () => {
  it('names every missing flag at once', () => {
    expect(() => answersFromFlags(none)).toThrow(/^missing --name, --manager:/);
    expect(() => answersFromFlags({ ...none, engineSource: 'mirror', registries: ['a', 'b'] })).toThrow(
      /^missing --name, --manager, --repo-url, --registry-path:/,
    );
  });

  it('refuses bad values, every one named by its flag', () => {
    const given: GivenAnswers = {
      name: 'Prod',
      managers: ['10.0.0.1', '10.0.0.1'],
      workers: ['10.0.0.2'],
      registries: ['10.0.0.2'],
      engineSource: 'mirror',
      repoUrl: 'mirror.internal',
    };
    expect(() => answersFromFlags(given)).toThrow(
      [
        '--name: must be lower-case letters, digits and dashes',
        '--manager: 10.0.0.1 is given twice: each host has one role',
        '--registry: 10.0.0.2 is given twice: each host has one role',
        '--repo-url: must be a URL starting with http://, https:// or file://',
      ].join('\n'),
    );
    expect(() => answersFromFlags({ ...none, name: 'p', managers: [' '] })).toThrow(
      '--manager: an address is empty',
    );
  });

  it('defaults the engine to docker and drops empty optional flags', () => {
    expect(
      answersFromFlags({ ...none, name: 'p', managers: ['10.0.0.1'], sshUser: '', sshKey: ' ~/.ssh/k ' }),
    ).toEqual({
      name: 'p',
      managers: ['10.0.0.1'],
      workers: [],
      registries: [],
      engineSource: 'docker',
      sshKey: '~/.ssh/k',
    });
  });
});

describe('renderClusterFile', () => {
  it('writes a valid file with a schema line and a comment on every section', () => {
    const text = renderClusterFile({
      name: 'lab',
      managers: ['10.0.0.1'],
      workers: [],
      registries: [],
      engineSource: 'docker',
    });
    // A path beside the file (init writes the schema there), not a URL an offline editor cannot fetch.
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/cluster.schema.json');
    for (const section of ['metadata', 'hosts', 'engine', 'swarm', 'controlPlane', 'registry', 'images']) {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.trimStart().startsWith(`${section}:`));
      const around = [lines[at - 1], lines[at + 1]].map((l) => l?.trimStart() ?? '');
      expect(
        around.some((l) => l.startsWith('#')),
        section,
      ).toBe(true);
    }
    validate({ name: 'lab', managers: ['10.0.0.1'], workers: [], registries: [], engineSource: 'docker' });
  });

  it('writes every role, SSH settings, a mirror and shared registry storage so that they load back', () => {
    const answers: InitAnswers = {
      name: 'prod',
      managers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
      workers: ['w1.example.com'],
      registries: ['10.0.0.31', '10.0.0.32'],
      sshUser: 'ops',
      sshKey: '~/.ssh/id_ed25519',
      engineSource: 'mirror',
      engineVersion: '26.10',
      repoUrl: 'http://mirror.internal/debian',
      registryPath: '/mnt/registry',
    };
    const config = validate(answers).config;
    expect(config?.spec.hosts.map((h) => `${h.role} ${h.address} ${h.ssh.user} ${h.ssh.keyPath}`)).toEqual([
      'manager 10.0.0.1 ops /h/.ssh/id_ed25519',
      'manager 10.0.0.2 ops /h/.ssh/id_ed25519',
      'manager 10.0.0.3 ops /h/.ssh/id_ed25519',
      'worker w1.example.com ops /h/.ssh/id_ed25519',
      'registry 10.0.0.31 ops /h/.ssh/id_ed25519',
      'registry 10.0.0.32 ops /h/.ssh/id_ed25519',
    ]);
    expect(config?.spec.engine).toMatchObject({
      source: 'mirror',
      version: '26.10',
      repoUrl: 'http://mirror.internal/debian',
    });
    expect(config?.spec.registry.storage).toEqual({ filesystem: { path: '/mnt/registry', shared: true } });
  });

  it('quotes values YAML would read as something else', () => {
    const config = validate({
      name: 'p',
      managers: ['fe80::1', 'true', '10'],
      workers: [],
      registries: [],
      sshUser: 'yes',
      sshKey: '/keys/my key',
      engineSource: 'docker',
    }).config;
    expect(config?.spec.hosts.map((h) => h.address)).toEqual(['fe80::1', 'true', '10']);
    expect(config?.spec.hosts[0]?.ssh).toEqual({ user: 'yes', keyPath: '/keys/my key' });
  });
});

describe('askForAnswers (terminal)', () => {
  /** Answers questions in order; records them so a test can see what was asked. */
  function scripted(answers: string[]): Prompter & { asked: string[] } {
    const asked: string[] = [];
    const next = (message: string, validate?: (v: string) => true | string) => {
      asked.push(message);
      const answer = answers.shift() ?? '';
      const verdict = validate?.(answer) ?? true;
      if (verdict !== true) throw new Error(`rejected "${answer}": ${verdict}`);
      return Promise.resolve(answer);
    };
    return {
      asked,
      input: (q) => next(q.message, q.validate),
      select: <T extends string>(q: { message: string }) => next(q.message) as Promise<T>,
    };
  }

  it('asks for everything the flags did not give', async () => {
    const ask = scripted(['prod', '10.0.0.1, 10.0.0.2 10.0.0.3', '', '10.0.0.31', 'ops', '', 'distro']);
    const answers = await askForAnswers(none, ask, '/nonexistent');
    expect(answers).toEqual({
      name: 'prod',
      managers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
      workers: [],
      registries: ['10.0.0.31'],
      sshUser: 'ops',
      engineSource: 'distro',
    });
    expect(ask.asked).toHaveLength(7);
  });

  it('does not ask again for what flags gave, and asks for the mirror and shared path when needed', async () => {
    const ask = scripted(['/mnt/registry', 'http://mirror.internal/debian']);
    const given: GivenAnswers = {
      name: 'p',
      managers: ['m1'],
      workers: ['w1'],
      registries: ['r1', 'r2'],
      sshUser: 'root',
      sshKey: '',
      engineSource: 'mirror',
    };
    const answers = await askForAnswers(given, ask);
    expect(ask.asked).toEqual([
      'Registry storage path, shared by every registry host (NFS or similar)',
      'Mirror URL',
    ]);
    expect(answers).toMatchObject({
      registryPath: '/mnt/registry',
      repoUrl: 'http://mirror.internal/debian',
    });
  });

  it('rejects an address already given for another role, at the question', async () => {
    const ask = scripted(['p', '10.0.0.1', '10.0.0.1']);
    await expect(askForAnswers(none, ask)).rejects.toThrow(
      'rejected "10.0.0.1": 10.0.0.1 is given twice: each host has one role',
    );
  });

  it('splits address lists on commas and spaces', () => {
    expect(splitAddresses(' a, b  c,,d ')).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('sshKeyWarning', () => {
  it('names a key that is missing, as config validate will resolve it, and nothing for one that is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eectl-init-key-'));
    try {
      writeFileSync(join(dir, 'id'), 'a key\n');
      expect(sshKeyWarning('id', join(dir, 'cluster.yaml'))).toBeUndefined();
      expect(sshKeyWarning('~/.ssh/none', join(dir, 'cluster.yaml'), dir)).toBe(
        `SSH key ~/.ssh/none (${join(dir, '.ssh/none')}) does not exist: config validate and install will refuse the file until it is there. Put the key at that path, or change spec.hosts[].ssh.keyPath (or run init again with --ssh-key PATH).`,
      );
      expect(sshKeyWarning(dir, join(dir, 'cluster.yaml'))).toMatch(/^SSH key .* is not a file:/);
      expect(sshKeyWarning(undefined, join(dir, 'cluster.yaml'))).toBeUndefined();
      expect(sshKeyWarning('%d/.ssh/id', join(dir, 'cluster.yaml'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
