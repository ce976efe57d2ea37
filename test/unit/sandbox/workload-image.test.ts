import { describe, expect, it } from 'vitest';
import {
  firstWorkloadCommand,
  firstWorkloadLines,
  WORKLOAD_APPLETS,
  WORKLOAD_CHANGES,
  workloadImage,
} from '../../../src/lib/sandbox/workload-image.js';

describe('the sandbox’s first workload image', () => {
  it('is tagged with busybox’s upstream version and the image’s revision', () => {
    expect(workloadImage('1:1.35.0-4+deb12u1+b1')).toBe('eectl-sandbox/busybox:1.35.0-web1');
  });

  it('has a shell and httpd on PATH, and /www (its page) as the directory httpd serves by default', () => {
    expect(WORKLOAD_APPLETS).toEqual(expect.arrayContaining(['sh', 'httpd', 'wget']));
    expect(WORKLOAD_CHANGES).toEqual(['ENV PATH=/bin', 'WORKDIR /www', 'CMD ["sh"]']);
  });

  it('is run as a service published in host mode (no IPVS routing mesh on the sandbox kernel)', () => {
    expect(firstWorkloadCommand('eectl-sandbox/busybox:1.35.0-web1').join(' ')).toBe(
      'docker service create --name hello --publish mode=host,target=8080,published=8080 eectl-sandbox/busybox:1.35.0-web1 httpd -f -p 8080',
    );
  });
});

describe('what sandbox up prints for it', () => {
  it('a ready-to-run service create through a manager, how to find its node, and why host mode', () => {
    const lines = firstWorkloadLines({
      clusterFile: '/root/.eectl/sandboxes/dev/cluster.yaml',
      hosts: [
        { address: '10.77.3.21', role: 'worker' },
        { address: '10.77.3.11', role: 'manager' },
      ],
      workload: { image: 'eectl-sandbox/busybox:1.35.0-web1', bundle: '/c/w.tar' },
    });
    expect(lines).toContain(
      '  eectl exec -c /root/.eectl/sandboxes/dev/cluster.yaml --host 10.77.3.11 -- docker service create --name hello --publish mode=host,target=8080,published=8080 eectl-sandbox/busybox:1.35.0-web1 httpd -f -p 8080',
    );
    expect(lines.join('\n')).toContain('ip_vs');
    expect(firstWorkloadLines({ hosts: [], clusterFile: 'x' })).toEqual([]);
  });
});
