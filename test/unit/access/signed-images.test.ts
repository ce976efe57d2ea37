import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { AccessPolicy, ImagePolicyRules } from '../../../src/lib/access/model.js';
import { parsePolicy } from '../../../src/lib/access/plugin.js';
import { decide, type Lookup } from '../../../src/lib/access/policy.js';
import { cachedSignatures, registrySignatures } from '../../../src/lib/access/signed-images.js';
import { parseCosignPublicKey } from '../../../src/lib/images/cosign-key.js';
import type { SignatureLookup } from '../../../src/lib/images/policy.js';
import { parseImageReference, signatureTag } from '../../../src/lib/images/reference.js';
import type { FetchedManifest, RegistryClient } from '../../../src/lib/images/registry-client.js';
import { verifyDigest } from '../../../src/lib/images/signatures.js';

/**
 * The managers' signed-images check, decided by the plugin's own `decide` over signatures the real cosign
 * made (test/fixtures/cosign): a registry that serves those bytes, and one that serves nothing.
 */

const dir = join(import.meta.dirname, '../../fixtures/cosign');
const fixture = (name: string) => readFileSync(join(dir, name));
const cosignPem = fixture('cosign.pub').toString('utf8');
const otherPem = fixture('other.pub').toString('utf8');
const REG = '127.0.0.1:5999';
const SIGNED = 'sha256:fc0ab4bb4da01470160d6aeba961c1a2ff46cf15ce2badc1a80c22970c1f8875';
const UNSIGNED = `sha256:${'b'.repeat(64)}`;
const image = (digest: string) => `${REG}/demo/busybox:1@${digest}`;

/** The registry as cosign left it: the signature manifest of SIGNED and its payload blob, nothing else. */
const registry = {
  manifest: async (repository: string, reference: string): Promise<FetchedManifest | undefined> =>
    repository === 'demo/busybox' && reference === signatureTag(SIGNED)
      ? {
          digest: 'sha256:x',
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          body: fixture('signature-manifest.json'),
        }
      : undefined,
  blob: async (repository: string, digest: string): Promise<Buffer> => {
    if (repository === 'demo/busybox' && digest.startsWith('sha256:b4b5422d')) return fixture('payload.json');
    throw new Error(`no blob ${digest}`);
  },
} as unknown as RegistryClient;

const fromRegistry: SignatureLookup = (ref, digest, keys) =>
  verifyDigest(registry, ref.repository, digest, keys);

const rules = (over: Partial<ImagePolicyRules> = {}): ImagePolicyRules => ({
  requireSigned: true,
  keys: [{ name: 'cosign.pub', pem: cosignPem }],
  scoped: [{ collection: '/Shared/team', keys: [{ name: 'other.pub', pem: otherPem }] }],
  allowUnsigned: [`${REG}/tools/**`],
  ownImages: ['sha256:1111111111111111111111111111111111111111111111111111111111111111'],
  registries: [REG],
  ...over,
});

const policy = (images: ImagePolicyRules | undefined, extra: Partial<AccessPolicy> = {}): AccessPolicy => ({
  version: 1,
  cluster: 'test',
  users: [
    { name: 'root', admin: true, defaultCollection: '/Shared/Private/root' },
    { name: 'dev', admin: false, defaultCollection: '/Shared/Private/dev' },
  ],
  teams: [],
  grants: [{ user: 'dev', role: 'fullControl', collection: '/Shared' }],
  revoked: [],
  ...(images && { images }),
  ...extra,
});

const lookupWith = (signatures: SignatureLookup | undefined): Lookup => ({
  inspect: async (kind, id) =>
    kind === 'service' && id === 'web'
      ? {
          Spec: { Labels: { 'eectl.collection': '/Shared/team' } },
          PreviousSpec: { TaskTemplate: { ContainerSpec: { Image: image(UNSIGNED) } } },
        }
      : undefined,
  ...(signatures && { signatures }),
});

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const serviceBody = (img: string, labels: Record<string, string> = { 'eectl.collection': '/Shared/app' }) =>
  body({
    Name: 'web',
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: img },
      Placement: { Constraints: ['node.role==worker', 'node.labels.eectl.collection==/Shared'] },
    },
  });

const ask = (
  p: AccessPolicy,
  request: { method?: string; uri?: string; body?: Buffer; user?: string },
  signatures: SignatureLookup | null = fromRegistry,
) =>
  decide(
    p,
    {
      method: request.method ?? 'POST',
      uri: request.uri ?? '/v1.41/services/create',
      body: request.body,
      identity: { kind: 'certificate', user: request.user ?? 'root', issuedAt: new Date() },
    },
    lookupWith(signatures ?? undefined),
  );

describe('signed images on the managers', () => {
  it('admits a digest the real cosign signed with a trusted key, for admins and users alike', async () => {
    for (const user of ['root', 'dev']) {
      const d = await ask(policy(rules()), { body: serviceBody(image(SIGNED)), user });
      expect(d, user).toMatchObject({ allow: true });
    }
  });

  it('holds admins to it: an unsigned digest is refused, saying it has no signature', async () => {
    const d = await ask(policy(rules()), { body: serviceBody(image(UNSIGNED)) });
    expect(d.allow).toBe(false);
    expect(d.reason).toBe(`signed images only: ${REG}/demo/busybox@${UNSIGNED} has no signature`);
  });

  it('refuses a signature by a key the policy does not trust', async () => {
    const d = await ask(policy(rules({ keys: [{ name: 'other.pub', pem: otherPem }], scoped: [] })), {
      body: serviceBody(image(SIGNED)),
    });
    expect(d.allow).toBe(false);
    expect(d.reason).toMatch(
      /no signature of .*demo\/busybox@sha256:fc0a.* is by a trusted key \(.*signed by none of the trusted keys\)/,
    );
  });

  it('refuses a tag-only image with how to pin it (the CLI pins unless --no-resolve-image)', async () => {
    const d = await ask(policy(rules()), { body: serviceBody(`${REG}/demo/busybox:1`) });
    expect(d.allow).toBe(false);
    expect(d.reason).toMatch(/is named by tag only/);
    expect(d.reason).toMatch(/IMAGE@sha256:<digest>/);
    expect(d.reason).toMatch(/--no-resolve-image/);
  });

  it('checks service updates by the digest they name: a tag moved to an unsigned image is refused', async () => {
    const update = (digest: string) =>
      ask(policy(rules()), {
        uri: '/v1.41/services/web/update?version=3',
        body: serviceBody(image(digest), { 'eectl.collection': '/Shared/team' }),
        user: 'dev',
      });
    expect((await update(SIGNED)).allow).toBe(true);
    const moved = await update(UNSIGNED);
    expect(moved.allow).toBe(false);
    expect(moved.reason).toMatch(/has no signature/);
  });

  it('checks a rollback by the image of the previous spec, which is what the engine puts back', async () => {
    const rollback = await ask(policy(rules()), {
      uri: '/v1.41/services/web/update?version=4&rollback=previous',
      body: serviceBody(image(SIGNED), { 'eectl.collection': '/Shared/team' }),
    });
    expect(rollback).toMatchObject({
      allow: false,
      reason: expect.stringMatching(new RegExp(`${UNSIGNED} has no signature`)),
    });
  });

  it('checks containers created through a manager (admins only may, and signed only)', async () => {
    const create = (img: string) =>
      ask(policy(rules()), { uri: '/v1.41/containers/create?name=c', body: body({ Image: img }) });
    expect((await create(image(SIGNED))).allow).toBe(true);
    expect(await create(`${REG}/demo/busybox:1`)).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/tag only/),
    });
  });

  it('trusts a scoped key only for workloads in its collection', async () => {
    const onlyOther = rules({
      keys: [],
      scoped: [{ collection: '/Shared/team', keys: [{ name: 'cosign.pub', pem: cosignPem }] }],
    });
    const inTeam = await ask(policy(onlyOther), {
      body: serviceBody(image(SIGNED), { 'eectl.collection': '/Shared/team/web' }),
    });
    expect(inTeam.allow).toBe(true);
    const elsewhere = await ask(policy(onlyOther), {
      body: serviceBody(image(SIGNED), { 'eectl.collection': '/Shared/app' }),
    });
    expect(elsewhere).toMatchObject({
      allow: false,
      reason: 'signed images only: no key is trusted for this workload',
    });
  });

  it('trusts a team key for the team’s members only', async () => {
    const teamKey = rules({
      keys: [],
      scoped: [{ team: 'web', keys: [{ name: 'cosign.pub', pem: cosignPem }] }],
    });
    const p = policy(teamKey, { teams: [{ name: 'web', members: ['dev'] }] });
    expect((await ask(p, { body: serviceBody(image(SIGNED)), user: 'dev' })).allow).toBe(true);
    expect((await ask(p, { body: serviceBody(image(SIGNED)), user: 'root' })).allow).toBe(false);
  });

  it('lets allowUnsigned patterns through without a signature, and eectl’s own image only as eectl’s own service from an admin', async () => {
    const lookup = vi.fn(fromRegistry);
    const own = rules({ ownServices: ['eectl-registry'] });
    expect(
      (await ask(policy(own), { body: serviceBody(`${REG}/tools/debug/shell:latest`) }, lookup)).allow,
    ).toBe(true);
    const registryService = (name: string) =>
      body({ Name: name, Labels: {}, TaskTemplate: { ContainerSpec: { Image: own.ownImages[0] } } });
    expect((await ask(policy(own), { body: registryService('eectl-registry') }, lookup)).allow).toBe(true);
    expect(lookup).not.toHaveBeenCalled();
    // No free pass: another service with that image, or eectl's service from a non-admin, needs a signature.
    const other = await ask(policy(own), { body: registryService('miner') }, lookup);
    expect(other).toMatchObject({ allow: false, reason: expect.stringMatching(/signed images only/) });
    const fromDev = await ask(policy(own), { body: serviceBody(own.ownImages[0]!), user: 'dev' }, lookup);
    expect(fromDev).toMatchObject({ allow: false, reason: expect.stringMatching(/signed images only/) });
  });

  it('refuses an image outside the cluster registry', async () => {
    const d = await ask(policy(rules()), { body: serviceBody(`10.9.9.9:5000/demo/busybox@${SIGNED}`) });
    expect(d).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/is not in the cluster registry \(127\.0\.0\.1:5999\)/),
    });
  });

  it('fails closed: an unreadable registry, no signature reader, no image at all', async () => {
    const down: SignatureLookup = async () => {
      throw new Error('registry 127.0.0.1:5999: connect ECONNREFUSED');
    };
    const d = await ask(policy(rules()), { body: serviceBody(image(SIGNED)) }, down);
    expect(d).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/could not be read: registry 127\.0\.0\.1:5999: connect ECONNREFUSED/),
    });
    expect(await ask(policy(rules()), { body: serviceBody(image(SIGNED)) }, null)).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/cannot read signatures: refused \(fail closed\)/),
    });
    const pluginService = body({
      Name: 'p',
      TaskTemplate: { Runtime: 'plugin', PluginSpec: { Remote: 'x/y' } },
    });
    expect(await ask(policy(rules()), { body: pluginService })).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/names no container image/),
    });
    // The body the engine did not pass cannot be checked either.
    expect((await ask(policy(rules()), {})).allow).toBe(false);
  });

  it('allows everything when signatures are not required, and never asks the registry', async () => {
    const lookup = vi.fn(fromRegistry);
    for (const p of [policy(rules({ requireSigned: false })), policy(undefined)]) {
      expect((await ask(p, { body: serviceBody(`${REG}/demo/busybox:1`) }, lookup)).allow).toBe(true);
      expect((await ask(p, { body: serviceBody(image(UNSIGNED)) }, lookup)).allow).toBe(true);
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it('leaves requests that start no workload alone', async () => {
    const d = await ask(policy(rules()), {
      uri: '/v1.41/networks/create',
      body: body({ Name: 'n', Driver: 'overlay' }),
    });
    expect(d.allow).toBe(true);
  });

  it('with access control off (no spec.access): every certificate has full control, and images are still checked', async () => {
    const open = policy(rules(), { open: true, users: [], grants: [] });
    const signed = await ask(open, { body: serviceBody(image(SIGNED), {}), user: 'anyone' });
    expect(signed).toMatchObject({ allow: true, reason: 'access control is off (no spec.access)' });
    const node = await ask(open, {
      method: 'POST',
      uri: '/v1.41/nodes/x/update?version=1',
      body: body({}),
      user: 'anyone',
    });
    expect(node.allow).toBe(true);
    expect((await ask(open, { body: serviceBody(image(UNSIGNED), {}), user: 'anyone' })).allow).toBe(false);
    // Without open, a name the policy does not list is refused, as before.
    expect((await ask(policy(rules()), { body: serviceBody(image(SIGNED)), user: 'anyone' })).allow).toBe(
      false,
    );
  });
});

describe('the verified-digest cache', () => {
  const keys = [parseCosignPublicKey(cosignPem, 'cosign.pub')];
  const ref = parseImageReference(image(SIGNED));

  it('asks the registry once per digest and key set while the entry lives, and again after', async () => {
    let t = 0;
    const inner = vi.fn(fromRegistry);
    const cached = cachedSignatures(inner, { ttlMs: 1000, now: () => t });
    expect((await cached(ref, SIGNED, keys)).signedBy).toBe('cosign.pub');
    expect((await cached(ref, SIGNED, keys)).signedBy).toBe('cosign.pub');
    expect(inner).toHaveBeenCalledTimes(1);
    t = 1001;
    await cached(ref, SIGNED, keys);
    expect(inner).toHaveBeenCalledTimes(2);
  });

  it('asks again for another key set: a key dropped from the file counts at once', async () => {
    const inner = vi.fn(fromRegistry);
    const cached = cachedSignatures(inner);
    await cached(ref, SIGNED, keys);
    const other = [parseCosignPublicKey(otherPem, 'other.pub')];
    expect((await cached(ref, SIGNED, other)).signedBy).toBeUndefined();
    expect(inner).toHaveBeenCalledTimes(2);
  });

  it('does not remember refusals: a signature pushed later counts at the next request', async () => {
    let signedYet = false;
    const inner = vi.fn<SignatureLookup>(async (r, d, k) =>
      signedYet ? fromRegistry(r, d, k) : { rejected: [], signatures: 0 },
    );
    const cached = cachedSignatures(inner);
    expect((await cached(ref, SIGNED, keys)).signedBy).toBeUndefined();
    signedYet = true;
    expect((await cached(ref, SIGNED, keys)).signedBy).toBe('cosign.pub');
    expect(inner).toHaveBeenCalledTimes(2);
  });

  it('keeps repositories apart: the same digest elsewhere is asked about on its own', async () => {
    const inner = vi.fn(fromRegistry);
    const cached = cachedSignatures(inner);
    await cached(ref, SIGNED, keys);
    await cached(parseImageReference(`${REG}/copy/busybox@${SIGNED}`), SIGNED, keys);
    expect(inner).toHaveBeenCalledTimes(2);
  });
});

describe('the plugin’s registry reader', () => {
  it('fails with the file it needs when the registry password is not on the manager', async () => {
    const read = registrySignatures({
      passwordFile: '/nonexistent/admin-password',
      caFile: '/nonexistent/ca.pem',
    });
    await expect(read(parseImageReference(image(SIGNED)), SIGNED, [])).rejects.toThrow(
      /no registry password in \/nonexistent\/admin-password \(ENOENT\): run eectl install/,
    );
  });

  it('reads a policy file with an image section, and refuses a damaged one', () => {
    const text = JSON.stringify(policy(rules()));
    expect(parsePolicy(text).images?.keys[0]?.name).toBe('cosign.pub');
    const broken = JSON.parse(text) as { images: { keys?: unknown } };
    delete broken.images.keys;
    expect(() => parsePolicy(JSON.stringify(broken))).toThrow(/images section/);
  });
});
