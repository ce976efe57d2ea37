import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a delivery as GitHub writes it: `sha256=` and the hex HMAC-SHA256 of the raw body
 * with the endpoint's secret.
 */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the signature of `body` with `secret`, compared in constant time (what a receiver
 * does; the README shows the same few lines).
 */
export function verifySignature(secret: string, body: Buffer | string, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}
