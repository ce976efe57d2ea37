import { describe, expect, it } from 'vitest';
import { restartVerdict } from '../../../src/lib/swarm/quorum.js';

describe('restartVerdict: may a manager restart its engine for new API files now?', () => {
  it('safe when the other managers hold the quorum without it', () => {
    expect(restartVerdict({ managers: 3, reachable: 3 })).toBe('safe');
    expect(restartVerdict({ managers: 5, reachable: 4 })).toBe('safe');
  });

  it('a short pause of management with one or two managers, all up: there is no other way', () => {
    expect(restartVerdict({ managers: 1, reachable: 1 })).toBe('pause');
    expect(restartVerdict({ managers: 2, reachable: 2 })).toBe('pause');
  });

  it('refused when a manager is already down and this restart would lose the quorum', () => {
    expect(restartVerdict({ managers: 3, reachable: 2 })).toBe('refuse');
    expect(restartVerdict({ managers: 5, reachable: 3 })).toBe('refuse');
    expect(restartVerdict({ managers: 2, reachable: 1 })).toBe('refuse');
  });
});
