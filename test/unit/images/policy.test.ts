import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseCosignPublicKey } from '../../../src/lib/images/cosign-key.js';
import {
  admitImage,
  keysFor,
  type SignatureLookup,
  type SignedImagePolicy,
} from '../../../src/lib/images/policy.js';
import { matchesImagePattern, parseImageReference, signatureTag } from '../../../src/lib/images/reference.js';

const dir = join(import.meta.dirname, '../../fixtures/cosign');
const release = parseCosignPublicKey(readFileSync(join(dir, 'cosign.pub'), 'utf8'), 'release.pub');
const teamKey = parseCosignPublicKey(readFileSync(join(dir, 'other.pub'), 'utf8'), 'team.pub');
const D = `sha256:${'a'.repeat(64)}`;
const REG = '10.0.0.31:5443';

const policy = (over: Partial<SignedImagePolicy> = {}): SignedImagePolicy => ({
  requireSigned: true,
  keys: [release],
  scoped: [
    { collection: '/Shared/team', keys: [teamKey] },
    { team: 'ops', keys: [teamKey] },
  ],
  allowUnsigned: [`${REG}/eectl/registry*`],
  registries: [REG],
  ...over,
});

/** A registry where only `signedBy` vouches for D. */
const lookupSignedBy =
  (signer: string | undefined): SignatureLookup =>
  async (_ref, _digest, keys) =>
    keys.some((k) => k.name === signer)
      ? { signedBy: signer, rejected: [], signatures: 1 }
      : { rejected: signer ? ['signed by none of the trusted keys'] : [], signatures: signer ? 1 : 0 };

describe('image references', () => {
  it('splits registry, repository, tag and digest as the docker CLI does', () => {
    expect(parseImageReference(`${REG}/team/app:1.0@${D}`)).toEqual({
      registry: REG,
      repository: 'team/app',
      tag: '1.0',
      digest: D,
    });
    expect(parseImageReference('busybox')).toEqual({ registry: 'docker.io', repository: 'library/busybox' });
    expect(parseImageReference('localhost/app:2')).toMatchObject({ registry: 'localhost', tag: '2' });
    expect(signatureTag(D)).toBe(`sha256-${'a'.repeat(64)}.sig`);
  });

  it('refuses what is not a reference', () => {
    expect(() => parseImageReference('UPPER/case')).toThrow(/not an image reference/);
    expect(() => parseImageReference('app@sha256:short')).toThrow(/64 hex digits/);
    expect(() => parseImageReference('a b')).toThrow(/spaces/);
  });

  it('matches allowUnsigned patterns: * within a path part, ** across parts', () => {
    const ref = parseImageReference(`${REG}/eectl/registry:2.8@${D}`);
    expect(matchesImagePattern(ref, `${REG}/eectl/registry`)).toBe(true);
    expect(matchesImagePattern(ref, `${REG}/eectl/*`)).toBe(true);
    expect(matchesImagePattern(ref, `${REG}/*`)).toBe(false);
    expect(matchesImagePattern(ref, `${REG}/**`)).toBe(true);
    expect(matchesImagePattern(parseImageReference('registry:2.8.3'), 'registry:2.8.3')).toBe(true);
    expect(matchesImagePattern(parseImageReference('registry:2.8.4'), 'registry:2.8.3')).toBe(false);
  });
});

describe('admission of images', () => {
  it('allows anything when signatures are not required', async () => {
    const lookup = vi.fn(lookupSignedBy(undefined));
    expect(await admitImage('busybox', policy({ requireSigned: false }), {}, lookup)).toMatchObject({
      allow: true,
    });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('denies a tag-only reference with the pinning hint, without asking the registry', async () => {
    const lookup = vi.fn(lookupSignedBy('release.pub'));
    const verdict = await admitImage(`${REG}/team/app:1.0`, policy(), {}, lookup);
    expect(verdict.allow).toBe(false);
    expect(verdict.reason).toMatch(/named by tag only.*IMAGE@sha256:<digest>.*--no-resolve-image/);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('allows a digest signed by a trusted key; denies unsigned and wrongly signed ones', async () => {
    const image = `${REG}/team/app:1.0@${D}`;
    expect(await admitImage(image, policy(), {}, lookupSignedBy('release.pub'))).toEqual({
      allow: true,
      reason: `${D} signed by release.pub`,
    });
    expect(await admitImage(image, policy(), {}, lookupSignedBy(undefined))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/has no signature/),
    });
    expect(await admitImage(image, policy(), {}, lookupSignedBy('stranger.pub'))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/no signature .* is by a trusted key/),
    });
  });

  it('trusts scoped keys only for their collection (and children) or team', async () => {
    const image = `${REG}/team/app@${D}`;
    const byTeamKey = lookupSignedBy('team.pub');
    expect((await admitImage(image, policy(), { collection: '/Shared/team/sub' }, byTeamKey)).allow).toBe(
      true,
    );
    expect((await admitImage(image, policy(), { collection: '/Shared/teamx' }, byTeamKey)).allow).toBe(false);
    expect((await admitImage(image, policy(), { teams: ['ops'] }, byTeamKey)).allow).toBe(true);
    expect((await admitImage(image, policy(), { collection: '/Shared' }, byTeamKey)).allow).toBe(false);
    expect(keysFor(policy(), {}).map((k) => k.name)).toEqual(['release.pub']);
  });

  it('lets allowUnsigned patterns through and denies images outside the cluster registry', async () => {
    const none = lookupSignedBy(undefined);
    expect((await admitImage(`${REG}/eectl/registry:2@${D}`, policy(), {}, none)).allow).toBe(true);
    expect(await admitImage(`docker.io/library/busybox@${D}`, policy(), {}, none)).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/not in the cluster registry/),
    });
  });

  it('fails closed when the registry cannot be read', async () => {
    const broken: SignatureLookup = async () => {
      throw new Error('connection refused');
    };
    expect(await admitImage(`${REG}/team/app@${D}`, policy(), {}, broken)).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/could not be read: connection refused/),
    });
  });
});
