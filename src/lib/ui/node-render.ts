import chalk from 'chalk';
import { renderTable } from '../util/table.js';
import type { NodeActionResult, NodeListResult, NodeListRow, NodeSummary } from '../results/node.js';
import { renderDryRun } from './changes.js';
import { rebalanceHint } from './rebalance-render.js';

/**
 * The MANAGER column of every node table (status, node ls, install, node commands): `leader`, else the
 * manager's reachability; empty for workers. From the `leader` and `reachability` fields they all report.
 */
export function managerStatus(n: { leader: boolean; reachability?: string | undefined }): string {
  return n.leader ? 'leader' : (n.reachability ?? '');
}

const DONE: Record<NodeActionResult['command'], string> = {
  remove: 'removed from the swarm',
  promote: 'is a manager',
  demote: 'is a worker',
  drain: 'is drained: its tasks run elsewhere',
  activate: 'is active: it takes tasks again',
};

/** The human summary of a node command: what changed (or would), the node now, the time taken. */
export function renderNodeResult(r: NodeActionResult): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(...renderDryRun(r.changes));
  } else {
    const file = r.file.changed ? ` (${r.file.path} updated)` : '';
    const head = `${r.target} ${DONE[r.command]}${file}`;
    lines.push(r.changes.length === 0 ? `${r.target}: nothing to change.` : chalk.green(`${head}.`));
    for (const c of r.changes) lines.push(`  ${c.host}: ${c.description}`);
  }
  if (r.node) lines.push('', nodeTable([r.node]));
  lines.push('', `Total: ${r.seconds.toFixed(1)}s`);
  const hint = rebalanceHint(r.uneven, r.file.path);
  if (hint) lines.push(hint);
  return lines.join('\n');
}

/** Swarm nodes as a table (install's summary, the node commands' results). */
export function nodeTable(nodes: readonly Omit<NodeSummary, 'id'>[]): string {
  return renderTable(
    ['NODE', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY', 'MANAGER', 'ENGINE'],
    nodes.map((n) => [
      n.hostname,
      n.address,
      n.role,
      n.state,
      n.availability,
      managerStatus(n),
      n.engineVersion,
    ]),
  );
}

/** `eectl node ls` as a table: swarm nodes and file hosts, with what the file says about each. */
export function renderNodeList(r: NodeListResult): string {
  const table = renderTable(
    ['NODE', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY', 'MANAGER', 'ENGINE', 'IN FILE'],
    r.nodes.map((n) => [
      n.hostname ?? '-',
      n.host ?? n.address,
      role(n),
      n.inSwarm ? n.state : chalk.yellow(n.state),
      n.availability ?? '',
      managerStatus(n),
      n.engineVersion ?? '',
      n.inFile ? 'yes' : chalk.yellow('no'),
    ]),
  );
  return `${table}\n\nQuorum: ${r.quorum.description} (seen from ${r.contact})`;
}

/** The swarm's role, with the file's when they disagree (a registry host is a swarm worker). */
function role(n: NodeListRow): string {
  if (!n.role) return n.fileRole ?? '';
  if (!n.fileRole || n.fileRole === n.role || (n.fileRole === 'registry' && n.role === 'worker')) {
    return n.fileRole ?? n.role;
  }
  return `${n.role} ${chalk.yellow(`(file: ${n.fileRole})`)}`;
}
