import { describe, expect, it } from 'vitest';
import Install from '../../../src/commands/install.js';
import NodeDemote from '../../../src/commands/node/demote.js';
import NodeDrain from '../../../src/commands/node/drain.js';
import NodeRemove from '../../../src/commands/node/remove.js';
import Reset from '../../../src/commands/reset.js';
import SandboxDown from '../../../src/commands/sandbox/down.js';

describe('commands that destroy or change hosts', () => {
  it.each([
    ['reset', Reset],
    ['node remove', NodeRemove],
    ['node demote', NodeDemote],
    ['node drain', NodeDrain],
    ['install', Install],
    ['sandbox down', SandboxDown],
  ])('%s takes --yes (-y)', (_name, command) => {
    const flags = command.flags as Record<string, { char?: string; type: string } | undefined>;
    expect(flags.yes?.type).toBe('boolean');
    expect(flags.yes?.char).toBe('y');
  });
});
