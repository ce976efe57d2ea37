import type { HooksReport } from '../hooks/report.js';
import type { ActionReport, ChangeReport, HostSelectionReport } from './report.js';
import type { RollingPreview, RollingReport } from './rolling.js';

/** One host in the upgrade plan, in the order the hosts take their turns. */
export interface UpgradeHostPlan {
  host: string;
  role: string;
  /** Installed package version and what the daemon reports now. */
  from: { package: string; daemon: string | undefined };
  to: string;
  /** False when the host already runs the target (a resumed run leaves it alone), or is not in --hosts. */
  changes: boolean;
  /** False when --hosts did not name it: it stays on its version (`to` is then what the others move to). */
  selected?: boolean;
}

/** What `eectl upgrade` will do, shown before anything changes. */
export interface UpgradePlan {
  requested: string | undefined;
  /** The engine version every host ends on (upstream, as daemons report it). */
  target: string | undefined;
  hosts: UpgradeHostPlan[];
  /** Workers restarted at once. */
  batchSize: number;
  /** What happens about a backup first. */
  backup: string;
  /** How long a drained node's tasks may take to run elsewhere. */
  drainTimeoutSeconds: number;
  /** How long the hosts' turns may take, from each host's last measured turn. */
  estimate: RollingPreview['estimate'];
  /** Hosts without an engine: `eectl install` sets them up, upgrade leaves them. */
  skipped: string[];
  /** With --hosts or --exclude: the hosts this upgrade leaves on their version. */
  selection?: HostSelectionReport;
}

/** What one host's package source offers of the engine package, and what it runs. */
export interface HostOffer {
  host: string;
  /** The package manager's version ordering (deb, rpm). */
  family: 'deb' | 'rpm';
  /** The engine package of the source (docker.io, docker-ce, …). */
  package: string;
  /** Package versions offered, newest first. */
  offered: string[];
  /** The installed engine package's version; absent without an engine. */
  installed?: string;
  /** The version engine.version of the file resolves to on this host; absent when none offered matches. */
  pinned?: string;
}

/** One offered package version, with the hosts that offer it, run it, and whose file's pin it is. */
export interface OfferedVersion {
  version: string;
  /** As the daemon reports it (26.1.5). */
  upstream: string;
  package: string;
  hosts: string[];
  /** Hosts whose installed engine package is this version. */
  installed: string[];
  /** Hosts where engine.version of the file resolves to this version. */
  pinned: string[];
}

/** What `upgrade --list` reports (the `--json` result). */
export interface UpgradeListResult extends ActionReport {
  cluster: string;
  /** engine.version of the file; absent: the newest stable version. */
  engineVersion?: string;
  /** Every version offered, newest first, deduplicated over the hosts. */
  versions: OfferedVersion[];
  hosts: HostOffer[];
}

/** What `upgrade` reports (the `--json` result). */
export interface UpgradeResult extends ChangeReport, HooksReport {
  cluster: string;
  plan: UpgradePlan;
  file: { path: string; changed: boolean };
  backup?: string;
  rolling: RollingReport;
  /** Services whose tasks stayed unevenly spread after the hosts' turns (`eectl rebalance` spreads them). */
  uneven?: string[];
}
