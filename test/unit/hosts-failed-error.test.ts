import { describe, expect, it } from 'vitest';
import { EectlError, ExitCode, hostsFailedError } from '../../src/lib/errors.js';

const failure = (message: string, code: string, suggestions: string[] = []) =>
  new EectlError(message, { code, kind: 'external', suggestions });

describe('hostsFailedError', () => {
  it('counts the failed hosts and lists each one, indented, under the headline', () => {
    const e = hostsFailedError(
      [
        failure('10.0.0.12: `apt-get install` exited 100\n  E: no space left', 'ECOMMAND', ['Free space.']),
        failure('10.0.0.13: connection lost', 'ECONNLOST', ['Check the host.', 'Free space.']),
      ],
      {
        total: 5,
        headline: (hosts) => `${hosts} did not converge`,
        code: 'EAPPLY',
        kind: 'external',
        exitCode: ExitCode.partial,
        suggestions: ['Run install again.'],
      },
    );
    expect(e.message).toBe(
      '2 of 5 hosts did not converge:\n' +
        '  10.0.0.12: `apt-get install` exited 100\n    E: no space left\n' +
        '  10.0.0.13: connection lost',
    );
    expect(e.code).toBe('EAPPLY');
    expect(e.kind).toBe('external');
    expect(e.exitCode).toBe(ExitCode.partial);
    // The failures' own suggestions once each, then the caller's.
    expect(e.suggestions).toEqual(['Free space.', 'Check the host.', 'Run install again.']);
  });

  it("keeps a single failure's own code unless told not to", () => {
    const options = {
      total: 3,
      headline: (hosts: string) => `cannot reach ${hosts}; nothing was changed`,
      code: 'ECONNECT',
      kind: 'user' as const,
      exitCode: ExitCode.preflight,
    };
    const one = [failure('10.0.0.21: host key CHANGED', 'EHOSTKEY')];
    const e = hostsFailedError(one, options);
    expect(e.code).toBe('EHOSTKEY');
    expect(e.kind).toBe('user');
    expect(e.exitCode).toBe(ExitCode.preflight);
    expect(e.message).toBe('cannot reach 1 of 3 hosts; nothing was changed:\n  10.0.0.21: host key CHANGED');
    expect(hostsFailedError(one, { ...options, ownCodeWhenOne: false }).code).toBe('ECONNECT');
  });
});
