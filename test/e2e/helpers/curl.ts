import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocal } from '../../../src/lib/sandbox/exec.js';

/** One engine API request as the real curl sends it: the request target raw, the body byte for byte. */
export interface CurlRequest {
  method: string;
  /** Sent as it is with --request-target (absolute form, odd version prefixes, percent-encoding). */
  target: string;
  /** Sent with --data-binary and Content-Type application/json. */
  body?: string;
}

/** The engine's answer: the status and its `message` (or the text, when it is not a JSON error). */
export interface CurlAnswer {
  status: number;
  message: string;
}

/**
 * Sends `request` with curl to a manager's TCP API (`address:2376`) with a client bundle's certificate,
 * over HTTP/1.1, bounded by --max-time.
 */
export async function curlEngine(
  address: string,
  bundleDir: string,
  request: CurlRequest,
): Promise<CurlAnswer> {
  const dir = await mkdtemp(join(tmpdir(), 'eectl-curl-'));
  try {
    const out = join(dir, 'out');
    const args = [
      '--silent',
      '--show-error',
      '--http1.1',
      '--max-time',
      '60',
      '--cacert',
      join(bundleDir, 'ca.pem'),
      '--cert',
      join(bundleDir, 'cert.pem'),
      '--key',
      join(bundleDir, 'key.pem'),
      '--request',
      request.method,
      '--request-target',
      request.target,
      '--output',
      out,
      '--write-out',
      '%{http_code}',
    ];
    if (request.body !== undefined) {
      const bodyFile = join(dir, 'body.json');
      await writeFile(bodyFile, request.body, 'utf8');
      args.push('-H', 'Content-Type: application/json', '--data-binary', `@${bodyFile}`);
    }
    args.push(`https://${address}:2376/`);
    const r = await runLocal('curl', args, { check: false, timeoutMs: 90_000 });
    if (r.code !== 0)
      throw new Error(`curl ${request.method} ${request.target} failed (${r.code}): ${r.stderr}`);
    const text = await readFile(out, 'utf8').catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // Not a JSON error (a redirect, a stream): the text as it came.
    }
    return { status: Number(r.stdout), message };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the managers' authorization plugin refused the request. */
export const refusedByPlugin = (a: CurlAnswer): boolean =>
  a.status === 403 && a.message.includes('authorization denied by plugin eectl-authz');
