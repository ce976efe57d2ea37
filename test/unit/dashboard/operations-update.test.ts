import { describe, expect, it } from 'vitest';
import { scaleService } from '../../../src/lib/dashboard/operations.js';
import { EngineApiError } from '../../../src/lib/engine-api/client.js';

/** A manager's engine API whose service changes under the first update: it refuses it as out of sequence. */
function api(conflicts: number) {
  let version = 10;
  const posted: string[] = [];
  return {
    posted,
    async get<T>(_path: string): Promise<T> {
      return {
        ID: 'svc1',
        Version: { Index: version },
        Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } } },
      } as T;
    },
    async post<T>(path: string): Promise<T> {
      posted.push(path);
      if (conflicts-- > 0) {
        version++; // something else updated the service meanwhile
        throw new EngineApiError(
          500,
          'rpc error: code = Unknown desc = update out of sequence',
          'm1:2376',
          `POST ${path}`,
        );
      }
      return undefined as T;
    },
  };
}

describe("the dashboard's service scale", () => {
  it('reads the service again at its new version and posts again after "update out of sequence"', async () => {
    const engine = api(1);
    const outcome = await scaleService(engine, 'svc1', 3);
    expect(outcome.message).toBe('service web scaled to 3');
    expect(engine.posted).toEqual(['/services/svc1/update?version=10', '/services/svc1/update?version=11']);
  });
});
