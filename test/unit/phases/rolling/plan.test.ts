import { describe, expect, it } from 'vitest';
import { isDowngrade, needsUpgrade } from '../../../../src/lib/phases/upgrade.js';
import {
  rollingOrder,
  workerBatchSize,
  type RollingMember,
} from '../../../../src/lib/phases/rolling/plan.js';

const member = (
  item: string,
  role: RollingMember<string>['role'],
  leader = false,
): RollingMember<string> => ({
  item,
  role,
  leader,
});

describe('workerBatchSize: workers down at once', () => {
  it('10 % of the workers by default, at least one', () => {
    expect(workerBatchSize(2)).toBe(1);
    expect(workerBatchSize(9)).toBe(1);
    expect(workerBatchSize(10)).toBe(1);
    expect(workerBatchSize(25)).toBe(2);
    expect(workerBatchSize(100)).toBe(10);
  });

  it('--max-unavailable when given, never more than the workers there are, none without workers', () => {
    expect(workerBatchSize(5, 3)).toBe(3);
    expect(workerBatchSize(5, 50)).toBe(5);
    expect(workerBatchSize(0, 3)).toBe(0);
  });
});

describe('rollingOrder', () => {
  it('managers one at a time with the leader last, then workers in batches, then registry nodes one at a time', () => {
    const order = rollingOrder(
      [
        member('m1', 'manager', true),
        member('w1', 'worker'),
        member('m2', 'manager'),
        member('r1', 'registry'),
        member('w2', 'worker'),
        member('m3', 'manager'),
        member('w3', 'worker'),
        member('r2', 'registry'),
      ],
      2,
    );
    expect(order.managers).toEqual([['m2'], ['m3'], ['m1']]);
    expect(order.workers).toEqual([['w1', 'w2'], ['w3']]);
    expect(order.registries).toEqual([['r1'], ['r2']]);
    expect(order.batchSize).toBe(2);
  });

  it('keeps the file order of the managers when the leader is not among the hosts that change', () => {
    const order = rollingOrder([member('m2', 'manager'), member('m3', 'manager')]);
    expect(order.managers).toEqual([['m2'], ['m3']]);
  });
});

const engine = (packageVersion: string, serverVersion: string | undefined, running = true) => ({
  packageName: 'docker.io',
  packageVersion,
  serverVersion,
  running,
});
const OLD = '20.10.24+dfsg1-1+deb12u1+b6';
const NEW = '26.1.5+dfsg1-9+deb13u1+b1';

describe('resuming a half-upgraded cluster: what each host still needs, from the host alone', () => {
  it('a host done by the interrupted run is left alone', () => {
    expect(needsUpgrade(engine(NEW, '26.1.5+dfsg1'), NEW)).toBe(false);
  });

  it('a host not reached yet, and one whose package moved but whose daemon still runs the old engine, take a turn', () => {
    expect(needsUpgrade(engine(OLD, '20.10.24+dfsg1'), NEW)).toBe(true);
    expect(needsUpgrade(engine(NEW, '20.10.24+dfsg1'), NEW)).toBe(true);
    expect(needsUpgrade(engine(NEW, undefined, false), NEW)).toBe(true);
  });

  it('a target older than the package or the running daemon is a downgrade', () => {
    expect(isDowngrade(engine(NEW, '26.1.5+dfsg1'), OLD, 'deb')).toBe(true);
    expect(isDowngrade(engine(OLD, '26.1.5+dfsg1'), OLD, 'deb')).toBe(true);
    expect(isDowngrade(engine(OLD, '20.10.24+dfsg1'), NEW, 'deb')).toBe(false);
    expect(isDowngrade(engine(NEW, '26.1.5+dfsg1'), NEW, 'deb')).toBe(false);
  });
});
