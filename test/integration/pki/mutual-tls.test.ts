import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCa,
  issueClientCert,
  issueServerCert,
  type CertifiedKey,
} from '../../../src/lib/pki/certificates.js';
import { serverNames } from '../../../src/lib/pki/inspect.js';

/**
 * The certificates in a real TLS handshake on loopback, the way the engine uses them: the server asks for
 * a client certificate and verifies it against the cluster CA for client use, as Go's tlsverify does.
 * The server answers with OpenSSL's verdict rather than dropping the connection, so each refusal is
 * seen for its reason (under TLS 1.3 a dropped connection looks the same whatever the cause).
 */
describe('mutual TLS with the cluster CA (loopback)', () => {
  let ca: CertifiedKey;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    ca = await createCa('prod');
    const cert = await issueServerCert(ca, serverNames('m1', ['127.0.0.1'], []));
    server = createServer(
      { key: cert.keyPem, cert: cert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
      (socket) => socket.end(socket.authorized ? 'ok' : `refused: ${String(socket.authorizationError)}`),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Resolves with what the server said, or rejects with the handshake's error. */
  const request = (client?: CertifiedKey, host = '127.0.0.1'): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        servername: host === '127.0.0.1' ? undefined : host,
        port,
        ca: ca.certPem,
        ...(client ? { key: client.keyPem, cert: client.certPem } : {}),
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });

  it('a client certificate of the cluster CA is accepted, and the server certificate is valid for its names', async () => {
    const alice = await issueClientCert(ca, 'alice');
    await expect(request(alice)).resolves.toBe('ok');
    await expect(request(alice, 'localhost')).resolves.toBe('ok');
    await expect(request(alice, 'm2')).rejects.toThrow(/does not match|altnames/i);
  });

  it('no client certificate, one from another CA, or a server certificate used as a client one: refused', async () => {
    expect(await request()).toMatch(/^refused: /);
    const rogue = await issueClientCert(await createCa('prod'), 'mallory');
    expect(await request(rogue)).toMatch(/^refused: .*(UNABLE_TO_VERIFY|unable to (get|verify))/i);
    // serverAuth only: refused for the client's side of the handshake, whatever CA signed it.
    const serverOnly = await issueServerCert(ca, serverNames('m9', [], []));
    expect(await request(serverOnly)).toMatch(
      /^refused: .*(INVALID_PURPOSE|unsupported certificate purpose)/i,
    );
  });
});
