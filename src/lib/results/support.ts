import type { Role } from '../config/schema.js';
import type { ActionReport } from './report.js';

/** One host of a support dump: whether it was collected whole, and what could not be read. */
export interface SupportDumpHost {
  host: string;
  role: Role;
  collected: boolean;
  problems: string[];
}

/** What `eectl support dump` reports (the `--json` result). */
export interface SupportDumpResult extends ActionReport {
  cluster: string;
  archive: string;
  bytes: number;
  files: number;
  hosts: SupportDumpHost[];
  swarm: { from: string; nodes: number } | { error: string };
  runLogs: number;
  /** Hosts not collected whole, the swarm not read: the dump is written all the same. */
  warnings: string[];
}
