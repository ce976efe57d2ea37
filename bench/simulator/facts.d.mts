// Types for the tests that hold the simulator to the facts script (test/unit/bench/).
import type { SimHost } from './world.mjs';

export interface FactsScriptShape {
  keys: string[];
  engineKeys: string[];
  sections: string[];
  packages: string[];
  held: string[];
  managedFiles: string[] | undefined;
}
export function factsScriptShape(script: string): FactsScriptShape;
export function unansweredFacts(shape: FactsScriptShape): string[];
export function answerFacts(h: SimHost, script: string, swarmInfo: (h: SimHost) => unknown): string | Error;
