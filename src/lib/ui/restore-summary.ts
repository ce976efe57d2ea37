import { rebalanceHint } from './rebalance-render.js';
import type { RestoreResult } from '../results/backup.js';

/** The human summary of `eectl restore`; `configPath`: the cluster file, for the hint to rebalance. */
export function renderRestoreSummary(r: RestoreResult, configPath: string): string {
  const signed = r.signature.verified
    ? `  archive signed by the CA of ${r.signature.anchor} (SHA-256 ${r.signature.signer.slice(0, 16)}…)`
    : `  archive NOT verified (--accept-unsigned): ${r.signature.problem}`;
  if (r.dryRun) {
    return [
      `Dry run: restore of swarm ${r.swarmId} from ${r.archive} onto cluster ${r.cluster}, state on ${r.target}:`,
      signed,
      ...(r.mapping.length > 0 ? ['  managers, old → new:', ...r.mapping.map((m) => `    ${m}`)] : []),
      ...r.changes.map((c) => `  would ${c.description} (${c.host})`),
    ].join('\n');
  }
  return [
    `Restored swarm ${r.swarmId} from ${r.archive} onto cluster ${r.cluster} in ${r.seconds.toFixed(1)} s (state on ${r.target}):`,
    signed,
    ...(r.replaced.length > 0 ? [`  replaced the swarm on ${r.replaced.join(', ')}`] : []),
    ...r.mapping.map((m) => `  ${m}`),
    ...r.services.map((s) => `  service ${s.name}: ${s.running}/${s.desired}`),
    r.differences.length === 0
      ? '  every service, secret, config and network of the backup is back'
      : `  differs: ${r.differences.join('; ')}`,
    ...[rebalanceHint(r.uneven, configPath)].filter((h) => h !== undefined),
  ].join('\n');
}
