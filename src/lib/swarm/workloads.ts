/** The label `docker stack deploy` puts on every service of a stack. */
const STACK_LABEL = 'com.docker.stack.namespace';

/** What a reset destroys in the swarm: every service, and the stacks they belong to. */
export interface SwarmWorkloads {
  /** Every service's name, sorted. */
  services: string[];
  /** Every stack named by a service's label, sorted. */
  stacks: string[];
}

/** The services and stacks of `docker service inspect`'s JSON array (anything that is not one: none). */
export function workloadsOf(inspect: string): SwarmWorkloads {
  let all: unknown;
  try {
    all = JSON.parse(inspect);
  } catch {
    all = [];
  }
  const specs = (Array.isArray(all) ? all : []).map(
    (s) => (s as { Spec?: { Name?: unknown; Labels?: Record<string, unknown> } }).Spec ?? {},
  );
  const names = specs.flatMap((s) => (typeof s.Name === 'string' ? [s.Name] : []));
  const stacks = specs.flatMap((s) => {
    const stack = s.Labels?.[STACK_LABEL];
    return typeof stack === 'string' && stack !== '' ? [stack] : [];
  });
  return { services: [...new Set(names)].sort(), stacks: [...new Set(stacks)].sort() };
}

/** `3 services (web, api, db), 1 stack (shop)`: names up to `max`, then a count. */
export function describeWorkloads(w: SwarmWorkloads, max = 10): string {
  const list = (items: string[], one: string) => {
    const shown = items.length > max ? [...items.slice(0, max), `${items.length - max} more`] : items;
    return `${items.length} ${one}${items.length === 1 ? '' : 's'}${items.length > 0 ? ` (${shown.join(', ')})` : ''}`;
  };
  return `${list(w.services, 'service')}, ${list(w.stacks, 'stack')}`;
}
