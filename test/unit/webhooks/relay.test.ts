import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRelay, type Post, type RelayRequest } from '../../../src/lib/webhooks/relay.js';
import { signBody, verifySignature } from '../../../src/lib/webhooks/sign.js';

const TOKEN = 'a'.repeat(64);
const SETTINGS = {
  port: 5447,
  token: TOKEN,
  endpoints: [
    { name: 'ci', url: 'https://ci.example.com/hook', secret: 'ci-secret' },
    { name: 'down', url: 'http://10.0.0.9:9/hook', secret: 'down-secret' },
  ],
};
const envelope = (ids: string[]) =>
  Buffer.from(
    JSON.stringify({
      events: ids.map((id) => ({ id, action: 'push', target: { repository: 'e2e/app', tag: 'v1' } })),
    }),
  );
const request = (over: Partial<RelayRequest> = {}): RelayRequest => ({
  method: 'POST',
  path: '/ci',
  authorization: `Bearer ${TOKEN}`,
  contentType: 'application/vnd.docker.distribution.events.v1+json',
  body: envelope(['e1']),
  ...over,
});

/** A receiver that records what it was sent and answers `status` (or throws it). */
function receiver(status: number | Error = 200) {
  const sent: { url: string; body: Buffer; headers: Record<string, string> }[] = [];
  const post: Post = (url, body, headers) => {
    sent.push({ url, body, headers });
    return status instanceof Error ? Promise.reject(status) : Promise.resolve(status);
  };
  return { sent, post };
}

describe('webhook signatures', () => {
  it("are GitHub's X-Hub-Signature-256: sha256= and the hex HMAC-SHA256 of the raw body", () => {
    const body = '{"events":[]}';
    const hex = createHmac('sha256', 'k').update(body).digest('hex');
    expect(signBody('k', body)).toBe(`sha256=${hex}`);
    expect(verifySignature('k', body, `sha256=${hex}`)).toBe(true);
  });

  it('do not verify with another key, another body, a truncated or missing header', () => {
    const sig = signBody('k', 'body');
    expect(verifySignature('other', 'body', sig)).toBe(false);
    expect(verifySignature('k', 'body ', sig)).toBe(false);
    expect(verifySignature('k', 'body', sig.slice(0, -1))).toBe(false);
    expect(verifySignature('k', 'body', undefined)).toBe(false);
    expect(verifySignature('k', 'body', sig.replace('sha256=', 'sha1='))).toBe(false);
  });
});

describe('webhook relay', () => {
  it('forwards the raw body unchanged to the endpoint of the path, signed with its secret', async () => {
    const r = receiver(204);
    const relay = createRelay(SETTINGS, r.post, () => new Date('2026-12-06T20:00:00Z'));
    const body = envelope(['e1', 'e2']);
    expect(await relay.handle(request({ body }))).toEqual({ status: 200, body: 'delivered\n' });
    expect(r.sent).toHaveLength(1);
    const [sent] = r.sent;
    expect(sent!.url).toBe('https://ci.example.com/hook');
    expect(sent!.body.equals(body)).toBe(true);
    expect(verifySignature('ci-secret', body, sent!.headers['X-Hub-Signature-256'])).toBe(true);
    expect(verifySignature('down-secret', body, sent!.headers['X-Hub-Signature-256'])).toBe(false);
    expect(sent!.headers['Content-Type']).toBe('application/vnd.docker.distribution.events.v1+json');
    expect(relay.counters().ci).toEqual({
      delivered: 1,
      failed: 0,
      pending: 0,
      lastStatus: 204,
      lastAttemptAt: '2026-12-06T20:00:00.000Z',
    });
  });

  it('answers a failed receiver with 502 (Distribution retries), counts the events pending until delivered', async () => {
    let answer: number | Error = new Error('fetch failed');
    const relay = createRelay(SETTINGS, (...a) => receiver(answer).post(...a));
    expect((await relay.handle(request({ path: '/down', body: envelope(['e1', 'e2']) }))).status).toBe(502);
    answer = 500;
    expect(await relay.handle(request({ path: '/down', body: envelope(['e1', 'e2']) }))).toEqual({
      status: 502,
      body: 'receiver: HTTP 500\n',
    });
    expect(relay.counters().down).toMatchObject({
      delivered: 0,
      failed: 2,
      pending: 2,
      lastError: 'HTTP 500',
    });
    answer = 302; // a redirect is not a delivery: the relay never follows one elsewhere
    expect((await relay.handle(request({ path: '/down', body: envelope(['e1', 'e2']) }))).status).toBe(502);
    answer = 200;
    expect((await relay.handle(request({ path: '/down', body: envelope(['e1', 'e2']) }))).status).toBe(200);
    expect(relay.counters().down).toEqual(
      expect.objectContaining({ delivered: 1, failed: 3, pending: 0, lastStatus: 200 }),
    );
    expect(relay.counters().down!.lastError).toBeUndefined();
    expect(relay.counters().ci).toMatchObject({ delivered: 0, failed: 0, pending: 0 });
  });

  it.each([
    ['no token', { authorization: undefined }, 401],
    ['a wrong token', { authorization: `Bearer ${'b'.repeat(64)}` }, 401],
    ['a token one character short', { authorization: `Bearer ${TOKEN.slice(1)}` }, 401],
    ['the token without Bearer', { authorization: TOKEN }, 401],
    ['GET', { method: 'GET' }, 405],
    ['an unknown endpoint', { path: '/elsewhere' }, 404],
    ['an inherited property as endpoint', { path: '/constructor' }, 404],
    ['a URL as path', { path: '/http://evil.example/' }, 404],
    ['a path that climbs to another endpoint', { path: '/ci/../down' }, 404],
    ['a body that is not JSON', { body: Buffer.from('not json') }, 400],
    ['JSON without events', { body: Buffer.from('{"url":"http://evil.example"}') }, 400],
    ['JSON null', { body: Buffer.from('null') }, 400],
  ])('refuses %s and sends nothing', async (_, over, status) => {
    const r = receiver();
    const relay = createRelay(SETTINGS, r.post);
    expect((await relay.handle(request(over as Partial<RelayRequest>))).status).toBe(status);
    expect(r.sent).toEqual([]);
    expect(relay.counters().ci).toEqual({ delivered: 0, failed: 0, pending: 0 });
  });

  it('posts only to the configured URL, whatever the body names', async () => {
    const r = receiver();
    const relay = createRelay(SETTINGS, r.post);
    const body = Buffer.from(JSON.stringify({ events: [{ id: 'x', url: 'http://evil.example/' }] }));
    await relay.handle(request({ body, contentType: 'text/html' }));
    expect(r.sent.map((s) => s.url)).toEqual(['https://ci.example.com/hook']);
    expect(r.sent[0]!.headers['Content-Type']).toBe('application/json');
  });
});
