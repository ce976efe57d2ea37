/** Debian's chromium, as scripts/test-setup installs it: the dashboard's browser tests drive it (nothing is downloaded). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
