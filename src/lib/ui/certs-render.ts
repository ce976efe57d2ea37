import chalk from 'chalk';
import { CERT_KIND_LABEL, type CertExpiry } from '../pki/expiry.js';
import { renderDryRun } from './changes.js';
import type {
  CertsRotatePlan,
  CertsRotateResult,
  CertsStatusResult,
  ClusterCaRotation,
} from '../results/certs.js';
import { renderRollingPreview } from './rolling-render.js';
import { renderTable } from '../util/table.js';

/** Days left, coloured: red when expired, yellow in the last 30 days. */
function left(r: CertExpiry): string {
  if (r.daysLeft < 0) return chalk.red(`expired ${-r.daysLeft}d ago`);
  return r.due ? chalk.yellow(`${r.daysLeft}d`) : `${r.daysLeft}d`;
}

/** The expiry table of `certs status`: one row per certificate, then what could not be read and the warnings. */
export function renderCertsStatus(r: CertsStatusResult): string {
  const lines = [
    renderTable(
      ['CERTIFICATE', 'OF', 'EXPIRES', 'LEFT', 'SERIAL', 'WHERE'],
      r.certificates.map((c) => [
        CERT_KIND_LABEL[c.kind],
        c.owner,
        c.notAfter.slice(0, 10),
        left(c),
        c.serial.slice(0, 16),
        c.where,
      ]),
    ),
  ];
  for (const u of r.unread) lines.push(chalk.yellow(`not read: ${u.where}: ${u.message}`));
  if (r.warnings.length > 0) lines.push('', ...r.warnings.map((w) => chalk.yellow(`! ${w}`)));
  return lines.join('\n');
}

/** The plan shown before `certs rotate` changes anything. */
export function renderRotatePlan(plan: CertsRotatePlan): string {
  const lines = ['Certificates issued again, and what takes each one up:'];
  for (const c of plan.certificates) lines.push(`  - ${c.what} of ${c.owner}: ${c.takenUpBy}`);
  if (plan.engineRestarts.length > 0) {
    lines.push(
      `Engines restarted one at a time through the rolling path (drained, restarted, checked): ${plan.engineRestarts.join(', ')}`,
    );
  }
  if (plan.swarmCa) {
    lines.push(
      "The swarm's root CA is rotated (docker swarm ca --rotate); every node gets a new certificate.",
    );
  }
  if (plan.clusterCa === 'start') {
    lines.push(
      'The cluster CA is rotated in two steps. Now: a new CA, trusted beside the old one everywhere; server certificates stay, so every client bundle keeps working.',
      'Later, `certs rotate --cluster-ca --finish`: the new CA alone; bundles of the old CA are then refused.',
    );
  } else if (plan.clusterCa === 'finish') {
    lines.push(
      'The overlap ends: every CA file trusts the new CA alone; client bundles of the old CA are refused from now on.',
    );
  } else {
    lines.push('Client bundles stay valid: the cluster CA does not change.');
  }
  return lines.join('\n');
}

/** The human summary of `certs rotate`. */
export function renderRotateSummary(r: CertsRotateResult): string {
  if (r.dryRun) {
    return [
      renderRotatePlan(r.plan),
      ...(r.clusterCa ? renderClusterCa(r.clusterCa) : []),
      '',
      ...renderDryRun(r.changes),
      ...(r.rolling ? renderRollingPreview(r.rolling) : []),
    ].join('\n');
  }
  const lines = [
    chalk.green(`Rotated ${r.plan.certificates.length} certificate(s) in ${r.seconds.toFixed(0)}s.`),
  ];
  for (const [owner, serial] of Object.entries(r.serials))
    lines.push(`  ${owner}: new serial ${serial.toLowerCase()}`);
  if (r.swarmCa)
    lines.push(`  swarm CA rotated: ${r.swarmCa.nodes} nodes have new certificates (${r.swarmCa.seconds}s)`);
  if (r.clusterCa) lines.push(...renderClusterCa(r.clusterCa));
  for (const w of r.warnings) lines.push(chalk.yellow(`! ${w}`));
  return lines.join('\n');
}

/** The cluster CA rotation's stage and what to do next. */
function renderClusterCa(c: ClusterCaRotation): string[] {
  const name = (ca: ClusterCaRotation['new']) => `${ca.subject} (SHA-256 ${ca.fingerprint.slice(0, 16)}…)`;
  const lines = [
    c.stage === 'overlap'
      ? `Cluster CA rotation: overlap. Trusted: ${c.old ? `old ${name(c.old)} and ` : ''}new ${name(c.new)}.`
      : chalk.green(`Cluster CA rotation finished: only ${name(c.new)} is trusted.`),
  ];
  if (c.reissue.length === 0) lines.push('No client bundle recorded here is of the old CA.');
  lines.push(...c.next.map((n) => `  ${n}`));
  return lines;
}
