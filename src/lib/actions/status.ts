import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Facts } from '../host/facts-types.js';
import { matchingVersions, upstreamVersion } from '../host/version.js';
import { newClusterContext } from '../phases/runner/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import {
  readServiceHealth,
  statusHostsPhase,
  statusServicesPhase,
  statusSwarmPhase,
  type ServiceHealth,
  type StatusContext,
  type SwarmView,
} from '../phases/status.js';
import { daysLeft, isDue, summarizeCertificate } from '../pki/inspect.js';
import {
  HOST_CA_CERT,
  HOST_SERVER_CERT,
  REGISTRY_CERT_FILE,
  REGISTRY_TOKEN_CERT_FILE,
} from '../host-layout.js';
import { certExpiry, expiryWarnings, type CertExpiry, type CertKind } from '../pki/expiry.js';
import { bundleExpiry, readIssuedBundles, type IssuedBundle } from '../pki/issued-bundles.js';
import { ADDRESS_LABEL, managerCounts, type SwarmNode } from '../swarm/nodes.js';
import { describeQuorum, faultTolerance, hasQuorum } from '../swarm/quorum.js';
import { withRegistryHealth } from '../registry/status.js';
import { withIngressHealth } from '../ingress/status.js';
import { nullLogger, type Logger } from '../util/log.js';
import { withWebhookState } from '../webhooks/status.js';
import type { Health, Expiry, StatusNode, Drift, StatusResult } from '../results/status.js';
import type { RegistryStatus } from '../registry/status.js';

export interface StatusOptions {
  config: ClusterConfig;
  session: Session;
  concurrency: number;
  /** The run's log (each phase is noted in it); none when not given. */
  log?: Logger;
}

/** SSH refused eectl on a host (a wrong user or key, an unknown or changed host key, no sudo): the host may be fine. */
const SSH_ACCESS_CODES = new Set([
  'EAUTH',
  'EHOSTKEY_UNKNOWN',
  'EHOSTKEY_CHANGED',
  'EHOSTKEY_REVOKED',
  'ESUDO',
]);

/** Thrown (after the report is shown) when the cluster is not healthy: exit 1, with the report. */
export class ClusterUnhealthyError extends EectlError {
  declare readonly result: StatusResult;

  /**
   * `hostErrors`: why hosts could not be read (status's own reading). What to do follows from them: a host
   * that refused eectl's SSH login is fixed in the file or on the host, and `eectl install` is not advised
   * while one does (it would stop at the same login).
   */
  constructor(result: StatusResult, hostErrors: readonly EectlError[] = []) {
    const access = hostErrors.filter((e) => SSH_ACCESS_CODES.has(e.code));
    const managers = result.nodes.filter((n) => n.fileRole === 'manager' && n.host !== undefined);
    const unread = managers.filter((n) => access.some((e) => e.host === n.host));
    const blind = result.health === 'quorum-lost' && managers.length > 0 && unread.length === managers.length;
    const lost = result.health === 'quorum-lost';
    const count = `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`;
    const what = blind
      ? `cannot be read: SSH refused eectl on every manager (${unread.length} of ${managers.length}), so whether the swarm has a leader is unknown`
      : lost
        ? `has lost its quorum (${result.quorum.description})`
        : 'is degraded, in quorum';
    const codes = [...new Set(access.map((e) => e.code))];
    super(`cluster ${result.cluster} ${what}: ${count}, listed in the report (result.problems)`, {
      code: blind ? (codes.length === 1 ? codes[0]! : 'ESSH_ACCESS') : lost ? 'EQUORUM_LOST' : 'EDEGRADED',
      kind: 'external',
      exitCode: ExitCode.failure,
      suggestions: statusSuggestions(result, hostErrors, blind),
      result,
    });
  }
}

/**
 * What to do about an unhealthy report: first what the hosts that refused eectl's SSH login say (their
 * own suggestions: the user, the key, the host key); then bringing back hosts that do not answer; then
 * `eectl install` for hosts that answer but are not as the file says, only when no host refused the
 * login (install connects to every host and would stop at the same one).
 */
export function statusSuggestions(
  result: StatusResult,
  hostErrors: readonly EectlError[],
  blind = false,
): string[] {
  const access = hostErrors.filter((e) => SSH_ACCESS_CODES.has(e.code));
  const out: string[] = access.flatMap((e) => e.suggestions);
  if (access.length > 0) {
    const hosts = [...new Set(access.map((e) => e.host ?? '?'))].join(', ');
    out.push(
      `eectl install would stop at the same SSH login: fix SSH to ${hosts} first, then run eectl status again.`,
    );
  }
  if (blind) return [...new Set(out)];
  const failed = new Set(hostErrors.map((e) => e.host));
  const down = hostErrors.some((e) => !SSH_ACCESS_CODES.has(e.code));
  if (result.health === 'quorum-lost') {
    out.push('Start the managers that are down: the swarm is managed again once a majority of them is back.');
  } else if (down) {
    out.push(
      'Bring back the hosts that do not answer over SSH (the report’s problems name them), then run eectl status again.',
    );
  }
  const reachableIssues =
    result.drift.missingFromSwarm.length > 0 ||
    result.nodes.some(
      (n) =>
        n.host !== undefined &&
        !failed.has(n.host) &&
        (n.state !== 'ready' ||
          n.apiListening === false ||
          (n.certificate !== undefined && n.certificate.daysLeft < 0)),
    );
  if (reachableIssues && access.length === 0 && result.health !== 'quorum-lost')
    out.push('Run eectl install to converge the hosts that answer but are not as the file says.');
  return [...new Set(out)];
}

/** Connect timeouts of status: a host that does not answer is given up after two short attempts. */
export const STATUS_TIMEOUTS = { readyTimeoutMs: 8_000, connectAttempts: 2 };

/**
 * `eectl status`: every host's facts (hosts that cannot be reached are reported, not fatal) → the node
 * list from the first manager that answers → the registry replicas, ingress proxies and webhook relays. It changes
 * nothing and takes no cluster lock: the state of a cluster is wanted most while another run holds it.
 */
export const STATUS_PHASES: AnyPhase<StatusContext>[] = [
  statusHostsPhase,
  statusSwarmPhase,
  statusServicesPhase,
];

/**
 * Reads the cluster's state (see STATUS_PHASES) and judges it; `hostErrors` says why hosts could not be
 * read. Nothing changes.
 */
export async function clusterStatus(
  options: StatusOptions,
): Promise<{ result: StatusResult; hostErrors: EectlError[] }> {
  const { config, session } = options;
  const ctx: StatusContext = {
    ...newClusterContext({
      config,
      session,
      log: options.log ?? nullLogger,
      dryRun: false,
      concurrency: options.concurrency,
      progress: 'silent',
    }),
    session,
    hostErrors: [],
    listings: new Map(),
  };
  await runAction(STATUS_PHASES, ctx, 'silent', async () => {});
  const described = setByPhases(ctx.described, 'the hosts read');
  const swarm = setByPhases(ctx.swarm, 'the swarm read');
  const health = setByPhases(ctx.health, "the registry's and ingress's health");
  return { result: await reportFrom(config, described, swarm, health), hostErrors: ctx.hostErrors };
}

/**
 * The report from hosts already read (their facts, the node list): `assessCluster`, with the registry's
 * replicas and the ingress proxies asked on their hosts. `support dump` judges what it collected with it.
 */
export async function judgeCluster(
  config: ClusterConfig,
  described: readonly HostDescription[],
  swarm: SwarmView,
  session: Session,
): Promise<StatusResult> {
  return reportFrom(config, described, swarm, await readServiceHealth(config, described, session));
}

/** The report from what was read: `assessCluster`, then what the replicas and proxies said. */
async function reportFrom(
  config: ClusterConfig,
  described: readonly HostDescription[],
  swarm: SwarmView,
  health: ServiceHealth,
): Promise<StatusResult> {
  // This machine's record of the client bundles it issued: a damaged record costs its warnings, not the report.
  const bundles = await readIssuedBundles(config.metadata.name).catch(() => []);
  return withWebhookState(
    withIngressHealth(
      withRegistryHealth(
        assessCluster(config, described, swarm, new Date(), bundles),
        health.replicas,
        config.spec.registry.mirrors.map((m) => m.name),
      ),
      health.proxies,
    ),
    health.webhooks,
  );
}

/** Judges the cluster from the hosts' facts and the node list (pure: the tests feed it states). */
export function assessCluster(
  config: ClusterConfig,
  described: readonly HostDescription[],
  swarm: SwarmView,
  now = new Date(),
  bundles: readonly IssuedBundle[] = [],
): StatusResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  let quorum = quorumOf(config, described, swarm);
  const fileManagers = described.filter((d) => d.role === 'manager');
  const refused = fileManagers.filter((d) => !d.ok && SSH_ACCESS_CODES.has(d.error.code));
  if (!quorum.hasQuorum && fileManagers.length > 0 && refused.length === fileManagers.length) {
    // Not one manager could be asked: the swarm may be fine, eectl cannot tell.
    quorum = {
      ...quorum,
      description: `unknown: SSH refused eectl on every manager (${refused.length} of ${fileManagers.length})`,
    };
    problems.push(
      `whether the swarm has a leader is unknown: SSH refused eectl on every manager of the file (${refused.length})`,
    );
  } else if (!quorum.hasQuorum)
    problems.push(`the swarm has no leader: ${quorum.description} (${swarm.error ?? 'no manager answered'})`);

  const apiPort = `${config.spec.controlPlane.apiPort}/tcp`;
  const nodes: StatusNode[] = [];
  const matched = new Set<string>();
  const missingFromSwarm: string[] = [];
  const lookup = swarm.nodes && nodeLookup(swarm.nodes);
  for (const d of described) {
    const facts = d.ok ? d.facts : undefined;
    const node = lookup && findNode(lookup, d, facts);
    if (node) matched.add(node.id);
    const isManager = d.role === 'manager';
    const row = nodeRow(d, facts, node, isManager ? apiPort : undefined, now);
    nodes.push(row);
    // One line per host, so a host that is down reads as one problem with its reasons.
    const issues: string[] = [];
    if (d.ok && swarm.nodes && !node) {
      missingFromSwarm.push(d.address);
      issues.push('not in the swarm');
    }
    if (node && node.state !== 'ready') issues.push(node.state);
    if (node?.role === 'manager' && node.reachability !== 'reachable') {
      issues.push(`manager ${node.reachability ?? 'not reachable'}`);
    }
    if (isManager && facts?.engine?.running && row.apiListening === false) {
      issues.push(`engine API not listening on ${apiPort}`);
    }
    const cert = row.certificate;
    if (cert && cert.daysLeft < 0) issues.push(`API certificate expired ${-cert.daysLeft} days ago`);
    if (!d.ok) issues.push(sshIssue(d.address, d.error.message));
    if (issues.length > 0)
      problems.push(`${d.address}${row.hostname ? ` (${row.hostname})` : ''}: ${issues.join(', ')}`);

    if (node && node.role !== (isManager ? 'manager' : 'worker')) {
      warnings.push(`${d.address} is a swarm ${node.role}, the file says ${d.role}: run eectl install`);
    }
    if (node && node.availability !== 'active')
      warnings.push(`${d.address} (${node.hostname}) is ${node.availability}`);
    if (cert?.due && cert.daysLeft >= 0) {
      warnings.push(
        `${d.address}: the API certificate expires in ${cert.daysLeft} days: eectl install renews it`,
      );
    }
  }
  const notInFile = (swarm.nodes ?? []).filter((n) => !matched.has(n.id));
  for (const n of notInFile) {
    nodes.push(nodeRow(undefined, undefined, n, undefined, now));
    warnings.push(`node ${n.hostname} (${n.addr}) is in the swarm but not in the file`);
  }
  const engineVersions = versionDrift(config, nodes);
  for (const v of engineVersions) warnings.push(`${v.node} runs engine ${v.version}, expected ${v.expected}`);

  const noIpvs = described.filter((d) => d.ok && d.facts.ipvs === 'missing').map((d) => d.address);
  if (noIpvs.length > 0) {
    warnings.push(
      `${noIpvs.join(', ')}: the kernel has no ip_vs module, so the routing mesh and service VIPs do not work there: publish ports in host mode (spec.ingress reaches tasks by address)`,
    );
  }
  const ca = caExpiry(described, now);
  if (ca?.due) warnings.push(`the cluster CA expires in ${ca.daysLeft} days`);
  warnings.push(...expiryWarnings(clusterWideExpiries(config, described, bundles, now)));
  const health: Health = !quorum.hasQuorum ? 'quorum-lost' : problems.length > 0 ? 'degraded' : 'healthy';
  return {
    cluster: config.metadata.name,
    health,
    quorum,
    nodes,
    drift: { missingFromSwarm, notInFile: notInFile.map((n) => `${n.hostname} (${n.addr})`), engineVersions },
    ca,
    registry: registryStatus(config),
    problems,
    warnings,
  };
}

/**
 * Quorum from the node list; without one (no leader), from what the managers still know: the Raft
 * membership a reachable manager reports, against the managers whose engine still answers.
 */
function quorumOf(
  config: ClusterConfig,
  described: readonly HostDescription[],
  swarm: SwarmView,
): StatusResult['quorum'] {
  let counts: { managers: number; reachable: number };
  if (swarm.nodes) {
    counts = managerCounts(swarm.nodes);
  } else {
    const alive = described.filter(
      (d) => d.ok && d.facts.swarm?.state === 'active' && d.facts.swarm.isManager,
    );
    const members = Math.max(
      config.spec.hosts.filter((h) => h.role === 'manager').length,
      ...alive.map((d) => (d.ok ? (d.facts.swarm?.remoteManagers.length ?? 0) : 0)),
    );
    counts = { managers: members, reachable: alive.length };
  }
  const quorate = swarm.nodes !== undefined && hasQuorum(counts);
  const description = describeQuorum(counts) + (quorate || !hasQuorum(counts) ? '' : ', NO LEADER');
  return { ...counts, hasQuorum: quorate, faultTolerance: faultTolerance(counts.managers), description };
}

/** The node list by ID, by address and by address label, so finding each host's node does not scan every node. */
function nodeLookup(nodes: readonly SwarmNode[]) {
  const byAddr = new Map<string, SwarmNode>();
  const byLabel = new Map<string, SwarmNode>();
  for (const n of nodes) {
    if (!byAddr.has(n.addr)) byAddr.set(n.addr, n);
    const label = n.labels[ADDRESS_LABEL];
    if (label !== undefined && !byLabel.has(label)) byLabel.set(label, n);
  }
  return {
    byId: new Map(nodes.map((n) => [n.id, n])),
    byAddr,
    byLabel,
    order: new Map(nodes.map((n, i) => [n, i])),
  };
}

/** The swarm node of a host of the file: by the node ID its engine reports, else its address label, else by address. */
function findNode(
  lookup: ReturnType<typeof nodeLookup>,
  d: HostDescription,
  facts: Facts | undefined,
): SwarmNode | undefined {
  const id = facts?.swarm?.nodeId;
  if (id) return lookup.byId.get(id);
  const labelled = lookup.byLabel.get(d.address);
  if (labelled) return labelled;
  // The first node in list order at any of the host's addresses, as a scan of the list would find.
  const candidates = [d.address, ...(facts?.privateAddresses ?? [])].flatMap(
    (a) => lookup.byAddr.get(a) ?? [],
  );
  return candidates.sort((a, b) => lookup.order.get(a)! - lookup.order.get(b)!)[0];
}

function nodeRow(
  d: HostDescription | undefined,
  facts: Facts | undefined,
  node: SwarmNode | undefined,
  apiPort: string | undefined,
  now: Date,
): StatusNode {
  const certPem = facts?.files[HOST_SERVER_CERT];
  return {
    host: d?.address,
    fileRole: d?.role,
    hostname: node?.hostname ?? facts?.hostname,
    address: node?.addr ?? d?.address ?? '',
    role: node?.role,
    state: node?.state ?? hostState(d, facts),
    availability: node?.availability,
    leader: node?.leader ?? false,
    reachability: node?.reachability,
    engineVersion: node?.engineVersion ?? facts?.engine?.serverVersion,
    apiListening: apiPort && facts ? facts.listening.includes(apiPort) : undefined,
    certificate: certPem ? expiryOf(certPem, now) : undefined,
  };
}

/** A host's state when the node list does not say: SSH, engine and swarm as its facts tell. */
function hostState(d: HostDescription | undefined, facts: Facts | undefined): string {
  if (d && !d.ok) return 'unreachable';
  if (facts?.swarm?.state === 'active') return 'unknown';
  return facts?.engine?.running ? 'not in swarm' : 'engine stopped';
}

function expiryOf(pem: string, now: Date): Expiry | undefined {
  try {
    const { notAfter } = summarizeCertificate(pem);
    return { notAfter: notAfter.toISOString(), daysLeft: daysLeft(notAfter, now), due: isDue(notAfter, now) };
  } catch {
    return undefined;
  }
}

/**
 * The certificates besides the API's and the CA's that status can judge without another round trip: the
 * registry's and its token-signing certificate and the swarm's CA (from a manager's facts), and the client
 * bundles this machine issued (its own record). Swarm node certificates are root-only (`certs status`).
 */
function clusterWideExpiries(
  config: ClusterConfig,
  described: readonly HostDescription[],
  bundles: readonly IssuedBundle[],
  now: Date,
): CertExpiry[] {
  const rows: CertExpiry[] = [];
  const first = (pick: (f: Facts) => string | undefined) =>
    described.flatMap((d) => (d.ok && d.role === 'manager' ? [pick(d.facts)] : [])).find(Boolean);
  const add = (kind: CertKind, owner: string, pem: string | undefined) => {
    const row = pem === undefined ? undefined : certExpiry(kind, owner, '', pem, now);
    if (row) rows.push(row);
  };
  add(
    'registry',
    'registry',
    first((f) => f.files[REGISTRY_CERT_FILE]),
  );
  add(
    'token-signing',
    'registry',
    first((f) => f.files[REGISTRY_TOKEN_CERT_FILE]),
  );
  add(
    'swarm-ca',
    config.metadata.name,
    first((f) => f.swarm?.caCertPem),
  );
  for (const b of bundles) {
    rows.push(bundleExpiry(b, now));
  }
  return rows;
}

function caExpiry(described: readonly HostDescription[], now: Date): Expiry | undefined {
  for (const d of described) {
    const pem = d.ok ? d.facts.files[HOST_CA_CERT] : undefined;
    if (pem) return expiryOf(pem, now);
  }
  return undefined;
}

/** Engines that are not the file's version (prefix or exact), or not the version most nodes run. */
function versionDrift(config: ClusterConfig, nodes: readonly StatusNode[]): Drift['engineVersions'] {
  const running = nodes.flatMap((n) => (n.engineVersion ? [{ ...n, engineVersion: n.engineVersion }] : []));
  const wanted = config.spec.engine.version;
  if (wanted) {
    const fits = (v: string) =>
      matchingVersions(wanted, [v]).length > 0 || upstreamVersion(v) === upstreamVersion(wanted);
    return running
      .filter((n) => !fits(n.engineVersion))
      .map((n) => ({ node: n.hostname || n.address, version: n.engineVersion, expected: wanted }));
  }
  const tally = new Map<string, number>();
  for (const n of running) tally.set(n.engineVersion, (tally.get(n.engineVersion) ?? 0) + 1);
  const common = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return running
    .filter((n) => n.engineVersion !== common)
    .map((n) => ({ node: n.hostname || n.address, version: n.engineVersion, expected: common ?? '' }));
}

/**
 * The registry before its replicas are asked: clusterStatus replaces it with each replica's `/v2/`
 * (registry/status.ts) when the file has registry hosts.
 */
function registryStatus(config: ClusterConfig): RegistryStatus {
  const hosts = config.spec.hosts.filter((h) => h.role === 'registry').length;
  return {
    checked: false,
    replicas: [],
    note: `not checked: ${hosts} registry host${hosts === 1 ? '' : 's'} in the file`,
  };
}

/**
 * Why a host could not be read, whole, on one line: "SSH authentication failed for ops@10.0.0.11:22;
 * tried: key ~/.ssh/id_ed25519, ssh-agent at /run/…" (the error's own lines, its list joined with commas),
 * without the address the problem line starts with.
 */
function sshIssue(address: string, message: string): string {
  const lines = message
    .replace(`${address}: `, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let text = lines[0] ?? message;
  const rest = lines.slice(1).map((l) => l.replace(/^- /, ''));
  if (rest.length > 0) text += `${text.endsWith(':') ? ' ' : ': '}${rest.join(', ')}`;
  return /^SSH\b/.test(text) ? text : `SSH: ${text}`;
}

export type { SwarmView } from '../phases/status.js';
