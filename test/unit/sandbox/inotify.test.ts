import { describe, expect, it } from 'vitest';
import { inotifyWarning } from '../../../src/lib/sandbox/inotify.js';

describe('inotify headroom for sandbox hosts', () => {
  it("warns when the machine's hosts would outgrow fs.inotify.max_user_instances, with the fix", () => {
    expect(inotifyWarning(8192, 30, 6)).toBeUndefined();
    expect(inotifyWarning(128, 0, 6)).toBeUndefined();
    expect(inotifyWarning(128, 10, 6)).toMatch(
      /16 sandbox hosts may need about 192 .*max_user_instances=128.*sysctl -w/,
    );
    expect(inotifyWarning(undefined, 100, 6)).toBeUndefined();
  });
});
