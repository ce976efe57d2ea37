import { describe, expect, it } from 'vitest';
import { EectlError } from '../../../src/lib/errors.js';
import { wrapWithEnv } from '../../../src/lib/ssh/env-preamble.js';
import { prepareCommand } from '../../../src/lib/ssh/prepare-command.js';
import type { SudoState } from '../../../src/lib/ssh/sudo.js';
import { clearSecrets, redact } from '../../../src/lib/util/redact.js';

const sudoUser: SudoState = { user: 'ops', isRoot: false, passwordless: true, detail: '' };

describe('wrapWithEnv', () => {
  it('keeps values off the argv and sends them as export lines ended by a random marker', () => {
    const { argv, preamble } = wrapWithEnv(['docker', 'swarm', 'join'], { TOKEN: "s3cret'x", MULTI: 'a\nb' });
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    const marker = argv[3] as string;
    expect(marker).toMatch(/^eectl-env-[0-9a-f]{16}$/);
    expect(argv.slice(4)).toEqual(['docker', 'swarm', 'join']);
    expect(argv.join(' ')).not.toContain('s3cret');
    expect(preamble).toBe(`export TOKEN='s3cret'\\''x'\nexport MULTI='a\nb'\n${marker}\n`);
    expect(wrapWithEnv(['x'], {}).argv[3]).not.toBe(marker);
  });

  it('refuses names that are not shell variable names', () => {
    expect(() => wrapWithEnv(['x'], { 'A;B': 'v' })).toThrow(EectlError);
    expect(() => wrapWithEnv(['x'], { '1A': 'v' })).toThrow(EectlError);
  });
});

describe('prepareCommand', () => {
  it('puts sudo -n -- before the env wrapper, env and stdin into the input, and names only env keys', () => {
    clearSecrets();
    const prepared = prepareCommand(
      'h1',
      ['cat'],
      { sudo: true, env: { PASS: 'hunter2-long' }, stdin: 'data' },
      sudoUser,
      true,
    );
    expect(prepared.argv.slice(0, 5)).toEqual(['sudo', '-n', '--', 'sh', '-c']);
    expect(prepared.argv.at(-1)).toBe('cat');
    expect(prepared.input?.toString()).toMatch(/^export PASS=hunter2-long\neectl-env-[0-9a-f]+\ndata$/);
    expect(prepared.display).toBe('sudo -n -- cat (env: PASS)');
    // Env values become secrets, redacted wherever they would be logged.
    expect(redact('pw=hunter2-long')).toBe('pw=[REDACTED]');
  });

  it('registers `secrets` and redacts them in the displayed command', () => {
    clearSecrets();
    const prepared = prepareCommand(
      'h1',
      ['login', '--password', 'p4ssw0rd!'],
      { secrets: ['p4ssw0rd!'] },
      sudoUser,
      true,
    );
    expect(prepared.display).toBe("login --password '[REDACTED]'");
    expect(prepared.argv).toContain('p4ssw0rd!');
  });

  it('leaves a plain command as it is; env without envViaStdin stays out of argv and input', () => {
    expect(prepareCommand('h', ['true'], {}, sudoUser, true)).toEqual({
      argv: ['true'],
      input: undefined,
      display: 'true',
    });
    const local = prepareCommand('h', ['env'], { env: { A: 'bbbb' } }, sudoUser, false);
    expect(local.argv).toEqual(['env']);
    expect(local.input).toBeUndefined();
  });

  it('for root, sudo adds nothing; without sudo rights, it throws ESUDO naming the fix', () => {
    const root: SudoState = { user: 'root', isRoot: true, passwordless: false, detail: '' };
    expect(prepareCommand('h', ['id'], { sudo: true }, root, true).argv).toEqual(['id']);
    const none: SudoState = {
      user: 'bob',
      isRoot: false,
      passwordless: false,
      detail: 'sudo: a password is required',
    };
    try {
      prepareCommand('h9', ['id'], { sudo: true }, none, true);
      expect.unreachable();
    } catch (error) {
      expect((error as EectlError).code).toBe('ESUDO');
      expect((error as EectlError).message).toContain('sudo said: sudo: a password is required');
      expect((error as EectlError).suggestions[0]).toContain('bob ALL=(ALL) NOPASSWD:ALL');
    }
  });
});
