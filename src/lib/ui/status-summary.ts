import chalk from 'chalk';
import type { StatusNode, StatusResult } from '../actions/status.js';
import { renderTable } from './table.js';

const HEALTH = {
  healthy: chalk.green('healthy'),
  degraded: chalk.yellow('DEGRADED, in quorum'),
  'quorum-lost': chalk.red('QUORUM LOST'),
};

function managerColumn(n: StatusNode): string {
  if (n.role !== 'manager') return '';
  return n.leader ? 'Leader' : (n.reachability ?? '');
}

function apiColumn(n: StatusNode): string {
  if (n.apiListening === undefined) return '';
  const cert = n.certificate;
  const expiry = cert ? `cert ${cert.notAfter.slice(0, 10)} (${cert.daysLeft}d)` : 'no cert';
  const text = `${n.apiListening ? 'listening' : 'NOT listening'}, ${expiry}`;
  return cert?.due || !n.apiListening ? chalk.yellow(text) : text;
}

/** The human report of `eectl status`: nodes, quorum, registry, drift, warnings, problems, health. */
export function renderStatus(r: StatusResult): string {
  const rows = r.nodes.map((n) => [
    n.hostname || '-',
    n.address,
    n.fileRole ?? chalk.yellow('not in file'),
    n.role ?? '-',
    n.state === 'ready' ? n.state : chalk.yellow(n.state),
    n.availability || '-',
    managerColumn(n),
    n.engineVersion || '-',
    apiColumn(n),
  ]);
  const lines = [
    renderTable(
      ['NODE', 'ADDRESS', 'FILE ROLE', 'SWARM ROLE', 'STATE', 'AVAILABILITY', 'MANAGER', 'ENGINE', 'API'],
      rows,
    ),
    '',
    `Quorum:   ${r.quorum.description}`,
    `CA:       ${r.ca ? `expires ${r.ca.notAfter.slice(0, 10)} (${r.ca.daysLeft} days)` : 'not found on any manager'}`,
    `Registry: ${r.registry.checked ? `${r.registry.replicas.filter((x) => x.healthy).length}/${r.registry.replicas.length} replicas healthy` : r.registry.note}`,
  ];
  if (r.warnings.length > 0) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  if (r.problems.length > 0) lines.push('', 'Problems:', ...r.problems.map((p) => `  - ${p}`));
  lines.push('', `Health:   ${HEALTH[r.health]}`);
  return lines.join('\n');
}
