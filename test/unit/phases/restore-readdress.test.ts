import { describe, expect, it } from 'vitest';
import {
  handOffRule,
  HANDOFF_RULE_COMMENT,
  staleManagerAddresses,
} from '../../../src/lib/phases/restore-readdress.js';

describe('restore onto new addresses: the Raft hand-off', () => {
  it("sends the helper's own connections to OLD:2377 to NEW:2377, as argv (IPv4 and IPv6)", () => {
    expect(handOffRule('10.0.1.12', '10.8.0.31')).toEqual({
      binary: 'iptables',
      spec: [
        'OUTPUT',
        '-d',
        '10.0.1.12',
        '-p',
        'tcp',
        '--dport',
        '2377',
        '-m',
        'comment',
        '--comment',
        HANDOFF_RULE_COMMENT,
        '-j',
        'DNAT',
        '--to-destination',
        '10.8.0.31:2377',
      ],
    });
    const v6 = handOffRule('fd00::12', 'fd08::31');
    expect(v6.binary).toBe('ip6tables');
    expect(v6.spec.at(-1)).toBe('[fd08::31]:2377');
  });

  it('refuses anything but two IP addresses of one family', () => {
    for (const [a, b] of [
      ['10.0.1.12', 'fd08::31'],
      ['m2.example', '10.8.0.31'],
      ['10.0.1.12', '10.8.0.31 -j ACCEPT'],
    ] as const) {
      expect(() => handOffRule(a, b), `${a} ${b}`).toThrow(
        expect.objectContaining({ code: 'ERESTORE_ADDRESS' }),
      );
    }
  });

  it('finds every manager whose Raft address is the old one or none of the file', () => {
    const hosts = [{ advertiseAddress: '10.8.0.31' }, { advertiseAddress: '10.8.0.32' }];
    const nodes = [
      { hostname: 'a1', role: 'manager', managerAddr: '10.0.1.12:2377' },
      { hostname: 'a2', role: 'manager', managerAddr: '10.8.0.32:2377' },
      { hostname: 'x', role: 'manager', managerAddr: '10.9.9.9:2377' },
      { hostname: 'w', role: 'worker' },
    ];
    expect(staleManagerAddresses(nodes, hosts, '10.0.1.12')).toEqual([
      'a1 (10.0.1.12:2377)',
      'x (10.9.9.9:2377)',
    ]);
    expect(staleManagerAddresses(nodes.slice(1, 2), hosts, '10.0.1.12')).toEqual([]);
  });
});
