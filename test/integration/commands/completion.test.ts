import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEectl } from '../../helpers/cli.js';
import { Scratch } from '../ssh/fixtures.js';

/**
 * Shell completion (oclif's autocomplete plugin): the setup line the README gives, evaluated by a real
 * bash, completes commands, space-separated subcommands and flags from the built CLI.
 */
describe('eectl autocomplete (bash)', () => {
  const scratch = new Scratch();
  const home = scratch.path('home');
  const env = { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), EECTL_HOME: join(home, '.eectl') };
  let setup = '';

  beforeAll(async () => {
    mkdirSync(home, { recursive: true });
    // Builds the completion cache, as the README's first step does.
    const built = await runEectl(['autocomplete', 'bash'], { env, timeoutMs: 60_000 });
    expect(built.code, built.stderr).toBe(0);
    const script = await runEectl(['autocomplete', 'script', 'bash'], { env, timeoutMs: 60_000 });
    expect(script.code, script.stderr).toBe(0);
    setup = script.stdout.trim();
  }, 120_000);
  afterAll(() => scratch.remove());

  /** What bash offers after `words` (the last one being completed), with the setup line evaluated. */
  const complete = async (...words: string[]): Promise<string[]> => {
    const r = await execa(
      'bash',
      [
        '-c',
        'eval "$SETUP"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _eectl_autocomplete; printf "%s\\n" "${COMPREPLY[@]}"',
        'bash',
        'eectl',
        ...words,
      ],
      { env: { ...env, SETUP: setup }, reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    return [...new Set(r.stdout.split('\n').filter(Boolean))];
  };

  it('completes a command, a subcommand after a space, and a flag', async () => {
    expect(await complete('ins')).toEqual(['install']);
    expect((await complete('node', '')).sort()).toEqual(
      ['activate', 'demote', 'drain', 'join', 'ls', 'promote', 'remove'].sort(),
    );
    expect(await complete('node', 'join', '--addr')).toEqual(['--address']);
    expect(await complete('upgrade', '--max-un')).toEqual(['--max-unavailable']);
  });

  it('knows every command, version and the sandbox among them', async () => {
    const all = await complete('');
    for (const c of ['install', 'upgrade', 'backup', 'restore', 'status', 'version', 'sandbox', 'ingress'])
      expect(all).toContain(c);
  });
});
