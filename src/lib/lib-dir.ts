/**
 * The folder of eectl's own modules: dist/lib when built (src/lib under the unit tests). The programs eectl
 * ships to hosts (the authorization plugin, the ingress watcher, the webhook relay, the registry gate) are
 * read from here by their path under it. This file sits directly in that folder, so moving the code that
 * reads the modules cannot move the root (a `new URL('../', import.meta.url)` in the reader did, when its
 * folder moved one level down).
 */
export const LIB_DIR: URL = new URL('./', import.meta.url);
