import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { PlacedService, ServiceSpread } from './spread.js';

/** What a rebalance looks at and what it changes. */
export interface RebalanceChoice {
  /** The services shown: every replicated one, or those named. */
  shown: ServiceSpread[];
  /** The services whose tasks are replaced, in the order shown. */
  planned: ServiceSpread[];
}

/**
 * Chooses what `eectl rebalance` replaces. Without names: every service judged uneven. With names
 * (`--service`, a name or an ID or a unique prefix of one, as the Docker CLI takes them): those of them
 * that are uneven or not judged (naming one is the user's judgement), never one whose update is under way.
 * A name the swarm does not know, or a service that is not replicated, is a usage error; nothing changes.
 */
export function chooseRebalance(
  services: readonly PlacedService[],
  spreads: readonly ServiceSpread[],
  names: readonly string[],
): RebalanceChoice {
  if (names.length === 0) {
    return { shown: [...spreads], planned: spreads.filter((s) => s.verdict === 'uneven') };
  }
  const ids = new Set(names.map((name) => findService(services, name).id));
  const shown = spreads.filter((s) => ids.has(s.id));
  for (const id of ids) {
    const service = services.find((s) => s.id === id)!;
    if (!shown.some((s) => s.id === id)) {
      throw new UsageError(
        `${service.name} is a ${service.mode} service: it has no replicas to spread; nothing was changed`,
        { code: 'ESERVICE_NOT_REPLICATED', suggestions: ['Name replicated services only.'] },
      );
    }
  }
  const busy = shown.filter((s) => s.verdict === 'updating');
  if (busy.length > 0) {
    throw new EectlError(
      `${busy.map((s) => `${s.name}: ${s.reason ?? 'its update is under way'}`).join('; ')}; nothing was changed`,
      {
        code: 'ESERVICE_UPDATING',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [
          'Let its update finish (`docker service ps SERVICE` on a manager), or settle a paused one with `docker service update` or `docker service rollback`, then run again.',
        ],
      },
    );
  }
  return { shown, planned: shown.filter((s) => s.verdict === 'uneven' || s.verdict === 'not-judged') };
}

/** A service by exact name, else exact ID, else unique ID prefix. */
function findService(services: readonly PlacedService[], name: string): PlacedService {
  const exact = services.find((s) => s.name === name) ?? services.find((s) => s.id === name);
  if (exact) return exact;
  const prefixed = services.filter((s) => s.id.startsWith(name));
  if (prefixed.length === 1) return prefixed[0]!;
  throw new UsageError(
    prefixed.length > 1
      ? `${name} is the start of more than one service ID; nothing was changed`
      : `the swarm has no service ${name}; nothing was changed`,
    {
      code: 'ESERVICE_UNKNOWN',
      suggestions: ['`docker service ls` on a manager lists the services; name one by its name.'],
    },
  );
}
