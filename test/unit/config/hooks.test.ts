import { describe, expect, it } from 'vitest';
import { check, HEAD, lines, THREE_MANAGERS } from './helpers.js';

const withHooks = (hooks: string) => `${HEAD}${THREE_MANAGERS}    - { address: 10.0.0.4, role: worker }
  hooks:
${hooks}`;

describe('spec.hooks in the cluster file', () => {
  it('reads a hook with its defaults: every role and host, 300 s, as root; absent stages are empty', () => {
    const { config, errors } = check(withHooks('    install:\n      before:\n        - run: echo hi\n'));
    expect(errors).toEqual([]);
    expect(config?.spec.hooks.install.before).toEqual([
      { run: 'echo hi', roles: [], hosts: [], timeoutSeconds: 300, sudo: true },
    ]);
    expect(config?.spec.hooks.install.after).toEqual([]);
    expect(config?.spec.hooks.upgrade).toEqual({ before: [], after: [], beforeTurn: [], afterTurn: [] });
  });

  it('has no hooks at all when the file says none', () => {
    const { config } = check(`${HEAD}${THREE_MANAGERS}`);
    expect(Object.values(config!.spec.hooks).flatMap((s) => Object.values(s).flat())).toEqual([]);
  });

  it('leaves a hook script exactly as written: $VAR in it is the host shell’s, not this machine’s', () => {
    const script = 'echo "$EECTL_HOST $HOME ${EECTL_ROLE:-x} $$" > /tmp/where\n';
    const text = withHooks(
      `    install:\n      before:\n        - name: $NAME\n          run: |\n            echo "$EECTL_HOST $HOME \${EECTL_ROLE:-x} $$" > /tmp/where\n`,
    );
    const { config, errors } = check(text, { HOME: '/home/operator', NAME: 'where' });
    expect(errors).toEqual([]);
    const [hook] = config!.spec.hooks.install.before;
    expect(hook?.run).toBe(script);
    // Everything else is still substituted.
    expect(hook?.name).toBe('where');
  });

  it('refuses a host that is not in spec.hosts, a stage or field that does not exist, a timeout out of bounds', () => {
    expect(
      lines(
        withHooks(
          [
            '    reset:',
            '      beforeTurn: []',
            '    install:',
            '      before:',
            '        - { run: "true", hosts: [10.0.0.4, 10.0.0.9], timeoutSeconds: 7200, shell: bash }',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'cluster.yaml:16:7: spec.hooks.reset: unknown key "beforeTurn" (did you mean "before"?)',
      'cluster.yaml:19:71: spec.hooks.install.before[0].timeoutSeconds: must be at most 3600',
      'cluster.yaml:19:77: spec.hooks.install.before[0]: unknown key "shell" (expected one of name, run, roles, hosts, timeoutSeconds, sudo)',
    ]);
    expect(
      lines(withHooks('    backup:\n      after:\n        - { run: "true", hosts: [10.0.0.4, 10.0.0.9] }\n')),
    ).toEqual([
      'cluster.yaml:17:44: spec.hooks.backup.after[0].hosts[1]: 10.0.0.9 is not a host of spec.hosts: name a host of the file (its address)',
    ]);
  });

  it('warns about a hook no host matches (a role the file has no host of)', () => {
    expect(
      lines(withHooks('    install:\n      after:\n        - { run: "true", roles: [registry] }\n')),
    ).toEqual([
      'cluster.yaml:17:11: warning: spec.hooks.install.after[0]: no host of spec.hosts matches its roles and hosts: it never runs',
    ]);
  });

  it('refuses an empty script', () => {
    expect(lines(withHooks('    install:\n      before:\n        - run: ""\n'))).toEqual([
      'cluster.yaml:17:16: spec.hooks.install.before[0].run: must be a script (sh)',
    ]);
  });
});
