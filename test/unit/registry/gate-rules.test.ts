import { describe, expect, it } from 'vitest';
import { judgeRequest, judgeTagMove, mediaType } from '../../../src/lib/registry/gate-rules.js';

const IMMUTABLE = ['release/*', 'frozen/**'];
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const judge = (method: string, target: string, headers: Record<string, string> = {}) =>
  judgeRequest(method, target, headers, IMMUTABLE);

describe('the registry gate reads a request as Distribution routes it', () => {
  it('checks a manifest push by tag in an immutable repository, naming the pattern', () => {
    expect(judge('PUT', '/v2/release/app/manifests/1.0')).toEqual({
      action: 'check-tag',
      repository: 'release/app',
      tag: '1.0',
      pattern: 'release/*',
    });
    expect(judge('PUT', '/v2/frozen/a/b/c/manifests/v1_RC-2')).toMatchObject({
      action: 'check-tag',
      repository: 'frozen/a/b/c',
      tag: 'v1_RC-2',
      pattern: 'frozen/**',
    });
  });

  it('names the repository as the router does when a segment is itself a route word', () => {
    // The manifest route is tried first and a reference has no `/`: the name takes the route words.
    expect(judge('PUT', '/v2/release/manifests/manifests/1.0')).toMatchObject({
      action: 'check-tag',
      repository: 'release/manifests',
      tag: '1.0',
    });
    expect(judge('PUT', '/v2/release/blobs/manifests/1.0')).toMatchObject({
      action: 'check-tag',
      repository: 'release/blobs',
    });
    // `release/app/manifests` is three segments: `release/*` does not name it, `frozen/**` would.
    expect(judge('PUT', '/v2/release/app/manifests/manifests/1.0')).toEqual({ action: 'pass' });
    expect(judge('PUT', '/v2/frozen/app/manifests/manifests/1.0')).toMatchObject({
      action: 'check-tag',
      repository: 'frozen/app/manifests',
    });
  });

  it('lets a push by digest, pulls, blob uploads and other repositories through', () => {
    for (const [method, target] of [
      ['PUT', `/v2/release/app/manifests/${A}`],
      ['GET', '/v2/release/app/manifests/1.0'],
      ['HEAD', '/v2/release/app/manifests/1.0'],
      ['GET', `/v2/release/app/blobs/${A}`],
      ['POST', '/v2/release/app/blobs/uploads/'],
      ['POST', `/v2/release/app/blobs/uploads/?mount=${A}&from=other/app`],
      ['PATCH', '/v2/release/app/blobs/uploads/0b3c5e0e-1b9f-4d2a-9d3b-1e2f3a4b5c6d?_state=abc='],
      ['PUT', `/v2/release/app/blobs/uploads/0b3c5e0e-1b9f?_state=x&digest=${A}`],
      ['PUT', '/v2/other/app/manifests/1.0'],
      ['DELETE', '/v2/other/app/manifests/1.0'],
      ['PUT', '/v2/release/manifests/1.0'], // `release/manifests`? no: the repository is `release`
      ['GET', '/v2/'],
      ['GET', '/v2/_catalog?n=100'],
      ['GET', '/v2/release/app/tags/list'],
    ] as const) {
      expect(judge(method, target), `${method} ${target}`).toEqual({ action: 'pass' });
    }
  });

  it('refuses deleting a manifest of an immutable repository, by tag (untag) or by digest', () => {
    for (const target of ['/v2/release/app/manifests/1.0', `/v2/release/app/manifests/${A}`]) {
      const v = judge('DELETE', target);
      expect(v).toMatchObject({ action: 'refuse', status: 403, code: 'DENIED' });
      expect(v.action === 'refuse' && v.message).toContain("registry.immutable 'release/*'");
    }
  });

  it('refuses hostile spellings of an immutable push instead of guessing what the registry will read', () => {
    const hostile = [
      '/v2/release%2Fapp/manifests/1.0', // Distribution decodes %2F to `/`
      '/v2/release/app/manifests/1%2E0',
      '/v2/rel%65ase/app/manifests/1.0',
      '/v2/release/app/manifests/1.0%00',
      '/v2/release/x/../app/manifests/1.0', // gorilla cleans `..`
      '/v2/release/./app/manifests/1.0',
      '/v2/release//app/manifests/1.0',
      '//v2/release/app/manifests/1.0',
      '/v2//release/app/manifests/1.0',
      '/v2/release/app/manifests/1.0/', // StrictSlash redirect
      '/v2/release/app/manifests/1.0/.',
      '/v2/release/app/manifests/..',
      '/v2/release/app/manifests/.hidden',
      '/v2/Release/app/manifests/1.0', // a capital: a domain component in Distribution's grammar
      '/v2/localhost:5000/release/app/manifests/1.0',
      '/v2/release/app;x/manifests/1.0',
      '/v2/release/app/manifests/1.0;x',
      '/v2/release\\app/manifests/1.0',
      '/v2/release/app/manifests/1.0#frag',
      '/v2/release/app/manifests/',
      '/v2/release/-app/manifests/1.0',
      '/v2/release/app-/manifests/1.0',
      `/v2/release/${'a'.repeat(300)}/manifests/1.0`,
      `/v2/release/app/manifests/${'x'.repeat(129)}`,
      '/V2/release/app/manifests/1.0',
      '/v2',
      'https://registry.example/v2/release/app/manifests/1.0', // absolute-form target
      '*',
      '/v1/release/app/manifests/1.0',
      '/v2/release/app/manifests/1.0 HTTP/1.1',
    ];
    for (const target of hostile) {
      const v = judge('PUT', target);
      expect(v.action, target).toBe('refuse');
    }
  });

  it('refuses methods the route does not serve and method-override headers', () => {
    expect(judge('POST', '/v2/release/app/manifests/1.0')).toMatchObject({ action: 'refuse', status: 405 });
    expect(judge('PATCH', '/v2/release/app/manifests/1.0')).toMatchObject({ action: 'refuse', status: 405 });
    expect(judge('PUT', '/v2/release/app/tags/list')).toMatchObject({ action: 'refuse', status: 405 });
    expect(judge('OPTIONS', '/v2/')).toMatchObject({ action: 'refuse', status: 405 });
    expect(judge('TRACE', '/v2/')).toMatchObject({ action: 'refuse' });
    for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      expect(judge('POST', '/v2/release/app/blobs/uploads/', { [header]: 'PUT' }), header).toMatchObject({
        action: 'refuse',
        status: 400,
      });
      // On any path: even one that would pass.
      expect(judge('GET', '/v2/', { [header]: 'DELETE' })).toMatchObject({ action: 'refuse' });
    }
  });

  it('refuses a query string on an immutable manifest push (OCI `?tag=` would tag without a tag path)', () => {
    expect(judge('PUT', `/v2/release/app/manifests/${A}?tag=1.0`)).toMatchObject({ action: 'refuse' });
    expect(judge('PUT', '/v2/release/app/manifests/1.0?x')).toMatchObject({ action: 'refuse' });
    expect(judge('PUT', `/v2/other/app/manifests/${A}?tag=1.0`)).toEqual({ action: 'pass' });
  });

  it('admits nothing when no pattern is given but still refuses what is not canonical', () => {
    expect(judgeRequest('PUT', '/v2/release/app/manifests/1.0', {}, [])).toEqual({ action: 'pass' });
    expect(judgeRequest('PUT', '/v2/release%2Fapp/manifests/1.0', {}, [])).toMatchObject({
      action: 'refuse',
    });
  });
});

describe("the tag's current digest decides a checked push", () => {
  const check = { repository: 'release/app', tag: '1.0', pattern: 'release/*' };

  it('lets a new tag and the same image again through', () => {
    expect(judgeTagMove({ status: 404 }, A, check)).toEqual({ action: 'pass' });
    expect(judgeTagMove({ status: 200, digest: A }, A, check)).toEqual({ action: 'pass' });
  });

  it('refuses moving the tag, naming the pattern, both digests and what to do', () => {
    const v = judgeTagMove({ status: 200, digest: A }, B, check);
    expect(v).toMatchObject({ action: 'refuse', status: 403, code: 'DENIED' });
    const message = v.action === 'refuse' ? v.message : '';
    expect(message).toContain("tag release/app:1.0 is immutable (registry.immutable 'release/*')");
    expect(message).toContain(A);
    expect(message).toContain(B);
    expect(message).toContain('Push the image under a new tag instead');
  });

  it("relays the registry's challenge when not signed in, and fails closed on anything else", () => {
    expect(judgeTagMove({ status: 401 }, A, check)).toEqual({ action: 'relay' });
    for (const head of [{ status: 200 }, { status: 500 }, { status: 0 }, { status: 403 }, { status: 301 }]) {
      expect(judgeTagMove(head, A, check), JSON.stringify(head)).toMatchObject({
        action: 'refuse',
        status: 503,
      });
    }
  });

  it('reads a Content-Type as Go does', () => {
    expect(mediaType('Application/VND.oci.image.manifest.v1+json; charset=utf-8')).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(mediaType(undefined)).toBe('');
  });
});
