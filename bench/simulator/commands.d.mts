// Types for the tests that hold the simulator to eectl's scripts (test/unit/bench/).
import type { Buffer } from 'node:buffer';
import type { SimHost, SimWorld } from './world.mjs';

export function runCommand(
  host: SimHost,
  world: SimWorld,
  line: string,
  stdin: Buffer,
): { code: number; stdout: string; stderr: string };
