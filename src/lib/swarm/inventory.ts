interface RawServiceSpec {
  ID: string;
  Spec: {
    Name: string;
    Mode?: { Replicated?: { Replicas?: number }; Global?: unknown };
    TaskTemplate?: {
      ContainerSpec?: { Secrets?: { SecretName: string }[]; Configs?: { ConfigName: string }[] };
      Networks?: { Target: string }[];
    };
    Networks?: { Target: string }[];
  };
}

/** `ID NAME` lines (`docker secret|config|network ls --format '{{.ID}} {{.Name}}'`) as objects. */
export function parseIdNameLines(stdout: string): NamedObject[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p): p is [string, string] => p.length === 2 && p[0] !== '')
    .map(([id, name]) => ({ id, name }));
}

/**
 * Services from `docker service inspect` (a JSON array), with their networks named through `networks`
 * (a spec names a network by ID or by name).
 */
export function parseServiceInventory(json: string, networks: readonly NamedObject[]): ManifestService[] {
  const raw = JSON.parse(json) as RawServiceSpec[];
  const networkName = (target: string) =>
    networks.find((n) => n.id === target || n.name === target)?.name ?? target;
  return raw.map((s) => {
    const container = s.Spec.TaskTemplate?.ContainerSpec ?? {};
    const global = s.Spec.Mode?.Global !== undefined;
    return {
      name: s.Spec.Name,
      id: s.ID,
      mode: global ? 'global' : 'replicated',
      ...(global ? {} : { replicas: s.Spec.Mode?.Replicated?.Replicas ?? 1 }),
      secrets: (container.Secrets ?? []).map((x) => x.SecretName).sort(),
      configs: (container.Configs ?? []).map((x) => x.ConfigName).sort(),
      networks: (s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? [])
        .map((n) => networkName(n.Target))
        .sort(),
    };
  });
}

/** An empty inventory (a swarm with nothing in it). */
export const EMPTY_INVENTORY: SwarmInventory = { services: [], secrets: [], configs: [], networks: [] };

/** A swarm object (service, secret, config, network) by name and ID. */
export interface NamedObject {
  name: string;
  id: string;
}

/** A service as backed up: enough to tell whether it came back. */
export interface ManifestService extends NamedObject {
  mode: 'replicated' | 'global';
  /** Desired replicas (replicated services only). */
  replicas?: number;
  secrets: string[];
  configs: string[];
  networks: string[];
}

/** The swarm objects of a backup's manifest (backup/manifest.ts), as compared after a restore. */
export interface SwarmInventory {
  services: ManifestService[];
  secrets: NamedObject[];
  configs: NamedObject[];
  networks: NamedObject[];
}
