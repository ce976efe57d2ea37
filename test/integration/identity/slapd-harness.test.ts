import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, InvalidCredentialsError, SizeLimitExceededError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { haveSlapd, PEOPLE, READER_DN, startSlapd, type Slapd } from '../../helpers/slapd.js';

const run = promisify(execFile);

/**
 * The test directory itself: what the identity tests rely on holds (TLS verified against the test CA on
 * both listeners, passwords checked by a bind, anonymous reads refused), checked with OpenLDAP's own tools
 * as well as with ldapts.
 */
describe.runIf(haveSlapd())('the test directory (slapd)', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd({
      users: [{ uid: 'alice', password: 'alice-pw' }],
      groups: [{ cn: 'web', members: ['alice'] }],
    });
  }, 30_000);
  afterAll(() => slapd?.stop());

  it('checks a password by a bind, with OpenLDAP’s ldapwhoami over StartTLS', async () => {
    const env = { ...process.env, LDAPTLS_CACERT: slapd.caPath, LDAPTLS_REQCERT: 'demand' };
    const whoami = async (password: string) => {
      const file = join(slapd.dir, 'whoami-password');
      await writeFile(file, password, { mode: 0o600 });
      const args = ['-x', '-ZZ', '-H', slapd.ldapUrl, '-D', slapd.userDn('alice'), '-y', file];
      return run('ldapwhoami', args, { env }).then(
        (r) => r.stdout.trim(),
        (e: { stderr: string }) => `failed: ${e.stderr.trim()}`,
      );
    };
    expect(await whoami('alice-pw')).toBe(`dn:${slapd.userDn('alice')}`);
    expect(await whoami('wrong')).toMatch(/^failed: .*Invalid credentials \(49\)/);
  });

  it('verifies its certificate against the test CA, and refuses a client that trusts another CA', async () => {
    const good = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caPem } });
    await good.bind(slapd.userDn('alice'), 'alice-pw');
    await good.unbind();
    const other = await createCa('other');
    const bad = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: other.certPem }, timeout: 5000 });
    await expect(bad.bind(slapd.userDn('alice'), 'alice-pw')).rejects.toThrow(/certificate/i);
  });

  it('refuses a wrong password, and lets the reader see members but no passwords', async () => {
    // ldapts speaks TLS from the first byte whenever tlsOptions are given, even to an ldap:// URL: StartTLS
    // needs a client without them.
    const c = new Client({ url: slapd.ldapUrl });
    await c.startTLS({ ca: slapd.caPem });
    await expect(c.bind(slapd.userDn('alice'), 'wrong')).rejects.toBeInstanceOf(InvalidCredentialsError);
    await c.bind(READER_DN, slapd.readerPassword);
    const { searchEntries } = await c.search(slapd.userDn('alice'), { scope: 'base' });
    expect(searchEntries[0]?.uid).toBe('alice');
    expect(searchEntries[0]?.userPassword).toBeUndefined();
    await slapd.removeMember('web', 'alice');
    const group = await c.search(slapd.groupDn('web'), { scope: 'base' });
    expect(group.searchEntries[0]?.member).not.toContain(slapd.userDn('alice'));
    await c.unbind();
  });

  it('reads nothing for an anonymous client', async () => {
    const c = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caPem } });
    const { searchEntries } = await c.search(slapd.userDn('alice'), { scope: 'base' }).catch(() => ({
      searchEntries: [],
    }));
    expect(searchEntries).toEqual([]);
    await c.unbind();
  });

  it('stops a search without paging at 500 entries, and lets a paged one read them all', async () => {
    await slapd.addMany(
      Array.from({ length: 520 }, (_, i) => ({ uid: `bulk${i}`, password: 'x' })),
      [],
    );
    const c = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caPem } });
    await c.bind(READER_DN, slapd.readerPassword);
    const filter = '(uid=bulk*)';
    await expect(c.search(PEOPLE, { filter })).rejects.toBeInstanceOf(SizeLimitExceededError);
    const paged = await c.search(PEOPLE, { filter, paged: { pageSize: 200 } });
    expect(paged.searchEntries).toHaveLength(520);
    await c.unbind();
  });
});
