import chalk from 'chalk';
import type { StatusNode, StatusResult, Workloads } from '../results/status.js';
import { managerStatus } from './node-render.js';
import { renderTable } from '../util/table.js';

const HEALTH = {
  healthy: chalk.green('healthy'),
  degraded: chalk.yellow('DEGRADED, in quorum'),
  'quorum-lost': chalk.red('QUORUM LOST'),
};

function managerColumn(n: StatusNode): string {
  return n.role === 'manager' ? managerStatus(n) : '';
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
  for (const m of r.registry.mirrors ?? []) {
    lines.push(
      `Mirror:   ${m.name}: ${m.replicas.filter((x) => x.healthy).length}/${m.replicas.length} replicas healthy`,
    );
  }
  if (r.ingress) {
    const up = r.ingress.proxies.filter((p) => p.healthy).length;
    lines.push(`Ingress:  ${up}/${r.ingress.proxies.length} proxies answer`);
  }
  if (r.webhooks) {
    lines.push(
      '',
      renderTable(
        ['WEBHOOK', 'URL', 'DELIVERED', 'FAILED', 'PENDING', 'LAST ERROR'],
        r.webhooks.endpoints.map((e) => [
          e.name,
          e.url,
          String(e.delivered),
          e.failed > 0 ? chalk.yellow(String(e.failed)) : '0',
          e.pending > 0 ? chalk.yellow(String(e.pending)) : '0',
          e.lastError ?? '-',
        ]),
      ),
    );
  }
  if (r.warnings.length > 0) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  if (r.problems.length > 0) lines.push('', 'Problems:', ...r.problems.map((p) => `  - ${p}`));
  // No manager could be read (SSH refused eectl): the swarm may be fine; "quorum-lost" is all --json can say.
  const unread = r.health === 'quorum-lost' && r.quorum.description.startsWith('unknown');
  lines.push('', `Health:   ${unread ? chalk.red('UNKNOWN, no manager could be read') : HEALTH[r.health]}`);
  return lines.join('\n');
}

/** The services and tasks part of `eectl status --services`. */
export function renderWorkloads(w: Workloads | undefined, error: string | undefined): string {
  if (!w) return `Services: ${chalk.yellow(`not read: ${error ?? 'unknown error'}`)}`;
  const services = renderTable(
    ['SERVICE', 'MODE', 'REPLICAS', 'IMAGE', 'UPDATE', 'PORTS', 'COLLECTION'],
    w.services.map((s) => {
      const replicas = `${s.running}/${s.desired ?? '-'}`;
      const short = s.desired !== undefined && s.running < s.desired && !s.mode.endsWith('job');
      return [
        s.name,
        s.mode,
        short ? chalk.yellow(replicas) : replicas,
        s.image + (s.digest ? `@${s.digest.slice(0, 19)}` : ''),
        s.updateState ?? '-',
        s.ports.map((p) => `${p.published ?? ''}:${p.target}/${p.protocol}`).join(',') || '-',
        s.collection ?? '-',
      ];
    }),
  );
  const tasks = renderTable(
    ['TASK', 'NODE', 'DESIRED', 'STATE', 'ERROR'],
    w.tasks.map((t) => [
      `${t.serviceName}${t.slot ? `.${t.slot}` : ''}`,
      t.nodeHostname || '-',
      t.desiredState,
      t.state === 'running' ? t.state : chalk.yellow(t.state),
      t.error ?? '',
    ]),
  );
  return [`Services (from ${w.answeredBy}):`, services, '', 'Tasks:', tasks].join('\n');
}
