import type { CollectorReport } from '../registry/gc.js';
import type { TagVerdict } from '../registry/retention.js';
import type { RegistryRepository } from '../registry/catalog.js';
import type { ChangeReport } from './report.js';

/** What `eectl registry ls` reports. */
export interface RegistryListResult {
  cluster: string;
  /** The `host:port` the registry was read through. */
  registry: string;
  repositories: RegistryRepository[];
}

/** What retention decided for one repository, and what was deleted. */
export interface PrunedRepository {
  repository: string;
  /** The rules (1-based, as the file lists them) that match it. */
  rules: number[];
  tags: TagVerdict[];
  /** Digests deleted (under --dry-run: that would be). */
  digests: string[];
}

/** What `eectl registry prune` reports. */
export interface RegistryPruneResult extends ChangeReport {
  cluster: string;
  registry: string;
  repositories: PrunedRepository[];
  /** Tags that go (their digests deleted), over every repository. */
  prunedTags: number;
}

/** What `eectl registry gc` reports. */
export interface RegistryGcResult extends ChangeReport {
  cluster: string;
  deleteUntagged: boolean;
  /** Replicas of the registry service when the run began. */
  replicas: number;
  /** The registry host whose replica ran the collector. */
  collectedOn?: string;
  collector?: CollectorReport;
  /** The storage's size before and after (filesystem storage only), and the difference. */
  bytesBefore?: number;
  bytesAfter?: number;
  bytesFreed?: number;
  /** How long pushes were refused: from the first replica's switch to read-only to the last one's return. */
  readOnlyMs?: number;
}
