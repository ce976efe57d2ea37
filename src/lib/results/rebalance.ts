import type { NodeCount, ServiceSpread } from '../swarm/spread.js';
import type { ChangeReport } from './report.js';

/** What `eectl rebalance` will do, shown before anything changes. */
export interface RebalancePlan {
  /** The services whose tasks the swarm is asked to replace, in order, as judged now. */
  services: ServiceSpread[];
}

/** One service the rebalance replaced the tasks of: its spread before and after, and how long it took. */
export interface RebalancedService {
  name: string;
  before: NodeCount[];
  after: NodeCount[];
  seconds: number;
}

/** What `rebalance` reports (the `--json` result). */
export interface RebalanceResult extends ChangeReport {
  cluster: string;
  /** The manager the swarm was read and changed through. */
  contact: string;
  /** Every replicated service (those named by --service only, when named), judged before any change. */
  services: ServiceSpread[];
  /** The services rebalanced (under --dry-run: that would be), in order. */
  planned: string[];
  rebalanced: RebalancedService[];
}
