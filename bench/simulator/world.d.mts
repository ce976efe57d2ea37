// Types for the tests that hold the simulator to eectl's scripts (test/unit/bench/).
import type { Buffer } from 'node:buffer';

export class SimHost {
  constructor(options: { index: number; sshAddress: string; sshPort: number; privateAddress: string });
  hostname: string;
  privateAddress: string;
  files: Map<string, { content: Buffer; mode: number; mtime?: number }>;
  dirs: Set<string>;
  packages: Map<string, string>;
  holds: Set<string>;
  engine: { running: boolean; enabled: boolean; apiPort: number | undefined };
  startEngine(): void;
}
export class SimSwarm {
  add(host: SimHost, role: 'manager' | 'worker'): string;
}
export class SimWorld {
  constructor(hosts: SimHost[]);
  unknown: { host: string; command: string; why: string }[];
}
