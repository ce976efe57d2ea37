import { describe, expect, it } from 'vitest';
import { describeWorkloads, workloadsOf } from '../../../src/lib/swarm/workloads.js';

describe('the services and stacks a reset destroys', () => {
  it("reads names and the stack label from docker service inspect's array", () => {
    const inspect = JSON.stringify([
      { Spec: { Name: 'b_web', Labels: { 'com.docker.stack.namespace': 'b' } } },
      { Spec: { Name: 'a', Labels: {} } },
      { Spec: { Name: 'b_db', Labels: { 'com.docker.stack.namespace': 'b' } } },
    ]);
    expect(workloadsOf(inspect)).toEqual({ services: ['a', 'b_db', 'b_web'], stacks: ['b'] });
  });

  it('takes nothing it cannot read: no array, no name, a label that is not a string', () => {
    expect(workloadsOf('not json')).toEqual({ services: [], stacks: [] });
    expect(workloadsOf('{"Spec":{"Name":"x"}}')).toEqual({ services: [], stacks: [] });
    expect(
      workloadsOf(JSON.stringify([{}, { Spec: { Name: 7, Labels: { 'com.docker.stack.namespace': 1 } } }])),
    ).toEqual({ services: [], stacks: [] });
  });

  it('names up to ten of each, then a count', () => {
    const services = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    expect(describeWorkloads({ services, stacks: ['one'] })).toBe(
      '12 services (s00, s01, s02, s03, s04, s05, s06, s07, s08, s09, 2 more), 1 stack (one)',
    );
  });
});
