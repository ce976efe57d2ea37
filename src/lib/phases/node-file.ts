import { basename } from 'node:path';
import type { NodeContext } from './runner/node-context.js';
import type { Phase } from './runner/phase.js';

/**
 * Writes the cluster file as the command leaves it (checked before any host changed), keeping its
 * comments and layout: the file is the desired state, so the next install agrees with what was done.
 */
export const nodeFilePhase: Phase<NodeContext, 'nextFile' | 'spec'> = {
  title: 'Update the cluster file',
  needs: ['nextFile', 'spec'],
  shouldRun: (ctx) => ctx.nextFile !== undefined && ctx.nextFile.text !== ctx.file.text,
  async run(ctx) {
    const next = ctx.nextFile;
    const what =
      ctx.command === 'remove'
        ? `remove host ${ctx.spec.address}`
        : `set the role of host ${ctx.spec.address} to ${next.config.spec.hosts[ctx.file.indexOf(ctx.spec.address)]!.role}`;
    await ctx.changes.apply({ name: basename(ctx.file.path), log: ctx.log }, what, () => next.write());
    ctx.fileChanged = true;
  },
};
