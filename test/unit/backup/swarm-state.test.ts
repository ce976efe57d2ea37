import { describe, expect, it } from 'vitest';
import { readdressSwarmState } from '../../../src/lib/backup/swarm-state.js';

/** docker-state.json as engine 20.10 wrote it on a manager that joined through another one. */
const saved = {
  LocalAddr: '10.0.1.12',
  RemoteAddr: '10.0.1.11:2377',
  ListenAddr: '10.0.1.12:2377',
  AdvertiseAddr: '10.0.1.12:2377',
  DataPathAddr: '10.0.1.12',
  DefaultAddressPool: ['10.20.0.0/16'],
  SubnetSize: 24,
  DataPathPort: 4789,
  JoinInProgress: false,
};

const rewrite = (state: object, oldAddr = '10.0.1.12', newAddr = '10.8.0.31') => {
  const r = readdressSwarmState(JSON.stringify(state), oldAddr, newAddr);
  return { state: JSON.parse(r.text) as Record<string, unknown>, changed: r.changed };
};

describe("the restored manager's docker-state.json at its new address", () => {
  it('LocalAddr: the old address becomes the new one', () => {
    expect(rewrite({ LocalAddr: '10.0.1.12' })).toEqual({
      state: { LocalAddr: '10.8.0.31' },
      changed: ['LocalAddr'],
    });
  });

  it('ListenAddr and AdvertiseAddr: the host part changes, the port stays', () => {
    const r = rewrite({ ListenAddr: '10.0.1.12:2377', AdvertiseAddr: '10.0.1.12:4242' });
    expect(r.state).toEqual({ ListenAddr: '10.8.0.31:2377', AdvertiseAddr: '10.8.0.31:4242' });
    expect(r.changed).toEqual(['ListenAddr', 'AdvertiseAddr']);
    // A wildcard listener binds anywhere: kept.
    expect(rewrite({ ListenAddr: '0.0.0.0:2377' }).changed).toEqual([]);
  });

  it('DataPathAddr: the old address becomes the new one; empty stays empty', () => {
    expect(rewrite({ DataPathAddr: '10.0.1.12' }).state).toEqual({ DataPathAddr: '10.8.0.31' });
    expect(rewrite({ DataPathAddr: '' }).changed).toEqual([]);
  });

  it('RemoteAddr: an old manager, unreachable now, is cleared', () => {
    expect(rewrite({ RemoteAddr: '10.0.1.11:2377' })).toEqual({
      state: { RemoteAddr: '' },
      changed: ['RemoteAddr'],
    });
  });

  it('keeps every other field and every address that is not the old one', () => {
    const r = rewrite(saved);
    expect(r.state).toEqual({
      ...saved,
      LocalAddr: '10.8.0.31',
      RemoteAddr: '',
      ListenAddr: '10.8.0.31:2377',
      AdvertiseAddr: '10.8.0.31:2377',
      DataPathAddr: '10.8.0.31',
    });
    expect(rewrite({ LocalAddr: '10.0.1.120', AdvertiseAddr: '10.0.1.120:2377' }).changed).toEqual([]);
  });

  it('IPv6: brackets kept', () => {
    expect(rewrite({ AdvertiseAddr: '[fd00::12]:2377' }, 'fd00::12', 'fd08::31').state).toEqual({
      AdvertiseAddr: '[fd08::31]:2377',
    });
  });

  it('refuses a file that is not the start configuration', () => {
    for (const text of ['', 'null', '[1]', '{"LocalAddr":'])
      expect(() => readdressSwarmState(text, '10.0.1.12', '10.8.0.31'), text).toThrow(
        expect.objectContaining({ code: 'ERESTORE_STATE' }),
      );
  });
});
