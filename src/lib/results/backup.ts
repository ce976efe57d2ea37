import type { ArchiveSignature } from '../backup/signature.js';
import type { HooksReport } from '../hooks/report.js';
import type { ChangeReport } from './report.js';

/** What `backup` reports (the `--json` result). */
export interface BackupResult extends ChangeReport, HooksReport {
  cluster: string;
  /** The archive written (under --dry-run: where it would be). */
  archive: string;
  bytes?: number;
  source: { host: string; hostname: string };
  /** One manager: the swarm could not be managed during the copy. */
  outage: boolean;
  swarmId: string;
  registryData: boolean;
  /** SHA-256 of the cluster CA certificate whose key signed the manifest (manifest.sig). */
  signedBy: string;
  counts: {
    nodes: number;
    services: number;
    secrets: number;
    configs: number;
    networks: number;
    files?: number;
  };
  /** Older archives removed by --keep. */
  pruned: string[];
  unreachable: { host: string; message: string }[];
}

/** What `restore` reports (the `--json` result). */
export interface RestoreResult extends ChangeReport {
  cluster: string;
  archive: string;
  swarmId: string;
  /** The manager that got the swarm state. */
  target: string;
  /** Hosts that were in a swarm and left it (--force). */
  replaced: string[];
  /** Old managers → new ones (`m2 10.0.1.12 → 10.8.0.31: gets the swarm state, …`). */
  mapping: string[];
  services: { name: string; running: number; desired: number }[];
  /** What differs from the manifest (empty: everything is back). */
  differences: string[];
  /** Who signed the archive, as checked against the trust anchor (or why not, under --accept-unsigned). */
  signature: ArchiveSignature;
  /** Services whose tasks are unevenly spread over the nodes (`eectl rebalance` spreads them). */
  uneven?: string[];
}
