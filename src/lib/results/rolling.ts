/** What a dry run shows of a rolling change before it runs: order, batches, drains, daemon.json, time. */
export interface RollingPreview {
  /** The hosts in the order of their turns (managers one at a time, the leader last, then workers in batches, then registry nodes); one `turn` number per group restarted at once. */
  order: { turn: number; host: string; role: string; leader: boolean; reasons: string[] }[];
  /** Workers restarted at once. */
  batchSize: number;
  /** How long a drained node's tasks may take to run elsewhere before its turn fails. */
  drainTimeoutSeconds: number;
  /** The daemon.json change, key by key (+ added, - removed, ~ changed), with the hosts it applies to. */
  daemonJson: { hosts: string[]; diff: string[] }[];
  /** From each host's last measured turn (~/.eectl/<cluster>/rolling-turns.json); no seconds when none was measured. */
  estimate: {
    seconds?: number;
    measured: { host: string; seconds: number; at: string; what: string }[];
    unmeasured: string[];
    description: string;
  };
}

/** How each host's turn went: its window is from the drain until it is active again. */
export interface RollingReport {
  batchSize: number;
  /** `times`: seconds of each part of the turn (rolling/roll.ts TurnTimes), for the upgrade benchmark. */
  hosts: {
    host: string;
    role: string;
    seconds: number;
    drained: boolean;
    times: Partial<Record<string, number>>;
  }[];
}
