import { describe, expect, it } from 'vitest';
import { ACCESS_OFF_REASON, accessCheck } from '../../../src/lib/actions/access.js';
import type { Session } from '../../../src/lib/cluster/session.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { UsageError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/ui/log.js';

const fileWith = (spec: Record<string, unknown> = {}) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], ...spec },
  });

/** A session that fails the test if anything connects. */
const noSession = {
  connect: () => {
    throw new Error('no manager should be asked');
  },
} as unknown as Session;

describe('access check without a policy in the file', () => {
  it('answers "allowed: access control is off", asking no manager', async () => {
    const r = await accessCheck(
      { config: fileWith(), session: noSession, log: nullLogger },
      { user: 'dev', method: 'post', path: '/v1.41/services/create?x=1' },
    );
    expect(r).toEqual({
      allow: true,
      reason: ACCESS_OFF_REASON,
      user: 'dev',
      resource: 'any (access control is off)',
      action: 'POST /v1.41/services/create',
      host: '',
      method: 'POST',
      path: '/v1.41/services/create?x=1',
    });
    expect(r.reason).toMatch(/^access control is off/);
  });

  it('still refuses a request that is not one (exit 2), as with a policy', async () => {
    const options = { config: fileWith(), session: noSession, log: nullLogger };
    await expect(accessCheck(options, { user: 'dev', method: 'FETCH', path: '/x' })).rejects.toThrow(
      UsageError,
    );
    await expect(accessCheck(options, { user: 'dev', method: 'GET', path: 'info' })).rejects.toThrow(
      /an API path starts with \//,
    );
  });

  it('with images.policy.requireSigned alone the plugin runs, so a manager is asked', async () => {
    const config = fileWith({
      images: { policy: { requireSigned: true, keys: ['/etc/eectl/cosign.pub'] } },
    });
    await expect(
      accessCheck(
        { config, session: noSession, log: nullLogger },
        { user: 'dev', method: 'GET', path: '/info' },
      ),
    ).rejects.toThrow(/no manager answered/);
  });
});
