import { describe, expect, it } from 'vitest';
import { missingPrerequisites, type E2eProbe } from '../../e2e/prerequisites.js';

const ready: E2eProbe = {
  uid: 0,
  has: () => true,
  engineAnswers: () => true,
  built: () => true,
  inotifyInstances: () => 8192,
};

describe('the end-to-end tier checks the machine before any sandbox', () => {
  it('passes a machine that has everything', () => {
    expect(missingPrerequisites(ready)).toEqual([]);
  });

  it('names every missing piece at once, each with what brings it', () => {
    const missing = missingPrerequisites({
      uid: 1000,
      has: (c) => c !== 'debootstrap',
      engineAnswers: () => false,
      built: (path) => path === '/usr/bin/chromium',
      inotifyInstances: () => 128,
    });
    expect(missing).toEqual([
      expect.stringMatching(/^root: /),
      'debootstrap (apt-get install debootstrap)',
      '/usr/sbin/slapd (apt-get install slapd)',
      expect.stringMatching(/^a Docker engine that answers/),
      expect.stringMatching(/^dist\/ \(run npm run build/),
      expect.stringMatching(/max_user_instances 128 < 8192/),
    ]);
  });

  it('does not ask an engine to answer when the docker CLI itself is missing', () => {
    const missing = missingPrerequisites({
      ...ready,
      has: (c) => c !== 'docker',
      engineAnswers: () => false,
    });
    expect(missing).toEqual(['docker (apt-get install docker.io)']);
  });
});
