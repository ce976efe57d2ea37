import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, MAX_BODY_BYTES, relayServer } from '../../../src/lib/webhooks/relay.js';
import { verifySignature } from '../../../src/lib/webhooks/sign.js';

const TOKEN = 'relay-token-0123456789';
const SECRET = 'receiver-secret';

/** What a receiver does (the README's recipe): verify the signature of the raw body, then read it. */
interface Received {
  verified: boolean;
  body: string;
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

function post(port: number, path: string, body: Buffer, token = TOKEN) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('webhook relay over HTTP: a real receiver verifies what the relay signed', () => {
  const received: Received[] = [];
  let receiverStatus = 200;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = req.headers['x-hub-signature-256'];
      received.push({ verified: verifySignature(SECRET, raw, header as string), body: raw.toString() });
      res.writeHead(receiverStatus).end();
    });
  });
  let relay: Server;
  let relayPort = 0;
  let deliveries = 0;

  beforeAll(async () => {
    const receiverPort = await listen(receiver);
    const settings = {
      port: 0,
      token: TOKEN,
      endpoints: [{ name: 'ci', url: `http://127.0.0.1:${receiverPort}/hook`, secret: SECRET }],
    };
    relay = relayServer(createRelay(settings), () => deliveries++);
    relayPort = await listen(relay);
  });
  afterAll(() => {
    relay.close();
    receiver.close();
  });

  const envelope = Buffer.from(
    JSON.stringify({ events: [{ id: 'ev1', action: 'push', target: { repository: 'e2e/app', tag: 'v1' } }] }),
  );

  it('delivers a push event that the receiver verifies, and says so to Distribution (200)', async () => {
    expect(await post(relayPort, '/ci', envelope)).toEqual({ status: 200, text: 'delivered\n' });
    expect(received).toEqual([{ verified: true, body: envelope.toString() }]);
    expect(deliveries).toBe(1);
  });

  it("passes a receiver's failure back as 502, so Distribution keeps the event and retries", async () => {
    receiverStatus = 503;
    expect((await post(relayPort, '/ci', envelope)).status).toBe(502);
    receiverStatus = 200;
    expect(received).toHaveLength(2);
    expect(deliveries).toBe(2);
  });

  it('refuses a wrong token and a body over the bound, and sends nothing', async () => {
    expect((await post(relayPort, '/ci', envelope, 'wrong')).status).toBe(401);
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 'x');
    expect((await post(relayPort, '/ci', big)).status).toBe(413);
    expect(received).toHaveLength(2);
    expect(deliveries).toBe(2);
  });
});
