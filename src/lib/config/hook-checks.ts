import type { ConfigProblem } from './problems.js';
import type { HookSpec, HooksSpec, HostSpec } from './schema.js';
import type { Locator } from './source.js';

/**
 * spec.hooks against the hosts: every host a hook names is a host of the file, and a hook that no host
 * matches (a role the file has no host of) is warned about, since it would never run.
 */
export function hookProblems(hooks: HooksSpec, hosts: readonly HostSpec[], loc: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const addresses = new Set(hosts.map((h) => h.address));
  for (const [action, stages] of Object.entries(hooks)) {
    for (const [stage, list] of Object.entries(stages as Record<string, HookSpec[]>)) {
      list.forEach((hook, i) => {
        const at = ['spec', 'hooks', action, stage, i];
        const unknown = hook.hosts.filter((h) => !addresses.has(h));
        hook.hosts.forEach((h, j) => {
          if (!addresses.has(h)) {
            const message = `${h} is not a host of spec.hosts: name a host of the file (its address)`;
            problems.push(loc.problem('error', [...at, 'hosts', j], message));
          }
        });
        if (unknown.length === 0 && !hosts.some((h) => hookMatches(hook, h))) {
          const message = 'no host of spec.hosts matches its roles and hosts: it never runs';
          problems.push(loc.problem('warning', at, message));
        }
      });
    }
  }
  return problems;
}

/** Whether a hook runs on a host: its role is one of `roles` (or none listed) and it is one of `hosts` (or none listed). */
export function hookMatches(
  hook: Pick<HookSpec, 'roles' | 'hosts'>,
  host: Pick<HostSpec, 'address' | 'role'>,
): boolean {
  return (
    (hook.roles.length === 0 || hook.roles.includes(host.role)) &&
    (hook.hosts.length === 0 || hook.hosts.includes(host.address))
  );
}
