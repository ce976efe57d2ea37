import { nodeName, type NodeContext } from './runner/node-context.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import type { Phase } from './runner/phase.js';
import type { NodeChange, Refusal, Verdict } from '../swarm/node-safety.js';

/** A node command's own rules: the swarm's verdict, and the file as the command would leave it. */
export interface NodeRules {
  verdict(change: NodeChange, ctx: NodeContext): Verdict;
  /** The file after the command, or undefined when it does not change; throws when it would be invalid. */
  nextFile?(ctx: NodeContext): NodeContext['nextFile'];
}

/**
 * Decides before anything changes: refusals stop the run with every reason (exit 3, nothing changed);
 * warnings are shown and the run goes on. The file edit is checked here too, so a command never leaves
 * the hosts changed and the file unwritable.
 */
export function nodeCheckPhase(rules: NodeRules): Phase<NodeContext> {
  return {
    title: 'Check that the change is safe',
    run(ctx, out) {
      const name = nodeName(ctx);
      const change: NodeChange = {
        name,
        node: ctx.node,
        nodes: ctx.nodes,
        fileRole: ctx.spec?.role,
        fileRoles: ctx.config.spec.hosts.map((h) => h.role),
      };
      const verdict = rules.verdict(change, ctx);
      const refusals = [...verdict.refusals];
      try {
        ctx.nextFile = rules.nextFile?.(ctx);
      } catch (error) {
        const e = toEectlError(error);
        refusals.push({ code: e.code, message: e.message, suggestions: e.suggestions });
      }
      if (refusals.length > 0) throw refusedError(name, ctx.command, refusals);
      for (const w of verdict.warnings) {
        ctx.warnings.push(w);
        ctx.log.warn(w);
      }
      out.report(name, verdict.warnings.length > 0 ? `safe, ${verdict.warnings.length} warning(s)` : 'safe');
      return Promise.resolve();
    },
  };
}

/** Refusals every command shares: the node must be in the swarm for it to be changed there. */
export function notInSwarm(change: NodeChange): Refusal[] {
  if (change.node) return [];
  return [
    {
      code: 'ENOT_IN_SWARM',
      message: `${change.name} is not a node of the swarm`,
      suggestions: ['Join it first: eectl node join --address ADDRESS --role ROLE (or eectl install).'],
    },
  ];
}

function refusedError(name: string, command: string, refusals: Refusal[]): EectlError {
  const lines = refusals.map((r) => `  ${r.message.split('\n').join('\n  ')}`);
  return new EectlError(`refusing to ${command} ${name}; nothing was changed:\n${lines.join('\n')}`, {
    code: refusals[0]!.code,
    kind: 'user',
    exitCode: ExitCode.preflight,
    suggestions: [...new Set(refusals.flatMap((r) => r.suggestions))],
  });
}
