import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { admitImage, type SignatureLookup, type SignedImagePolicy } from '../images/policy.js';
import { repositoryName } from '../images/reference.js';
import { RegistryClient, type BearerChallenge } from '../images/registry-client.js';
import { verifyDigest } from '../images/signatures.js';
import { p256PublicKey } from '../util/p256-key.js';
import { field, path, stringMap, text } from './json-fields.js';
import { COLLECTION_LABEL, type ImagePolicyRules, type PolicyKey, type RegistryRules } from './model.js';
import { PLUGIN_REGISTRY_ACCOUNT, REGISTRY_READER } from './paths.js';
import { CA_FILE, REGISTRY_PASSWORD_FILE, TOKEN_SIGNING_KEY_FILE } from '../host-layout.js';
import { signRegistryToken } from './registry-token.js';
import type { Check, CheckContext } from './policy.js';

/**
 * "Run only signed images" on the managers: a service create or update and a container create start only
 * from an image named by digest whose digest carries a cosign signature by a trusted key, read from the
 * cluster registry. Admins are held to it too. Anything that cannot be checked is refused (fail closed).
 */

/** How long a verified digest is trusted without asking the registry again. */
export const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 1000;
/** Under the engine's own patience with a plugin, so the refusal says why instead of timing out. */
const REGISTRY_TIMEOUT_MS = 10_000;

/** The keys of a policy file read once per copy of the file (the plugin keeps the copy until it changes). */
const parsed = new WeakMap<ImagePolicyRules, SignedImagePolicy>();

function toPolicy(rules: ImagePolicyRules): SignedImagePolicy {
  let policy = parsed.get(rules);
  if (!policy) {
    const read = (k: PolicyKey) => ({ name: k.name, key: p256PublicKey(k.pem) });
    policy = {
      requireSigned: rules.requireSigned,
      keys: rules.keys.map(read),
      scoped: rules.scoped.map((s) => ({
        ...(s.collection !== undefined && { collection: s.collection }),
        ...(s.team !== undefined && { team: s.team }),
        keys: s.keys.map(read),
      })),
      allowUnsigned: rules.allowUnsigned,
      registries: rules.registries,
    };
    parsed.set(rules, policy);
  }
  return policy;
}

/**
 * The images a request would start workloads from: every spec a service create or update puts in place
 * (a rollback's previous spec as well as the body), a container create's image. Undefined when the
 * request starts no workload.
 */
async function requestedImages(ctx: CheckContext): Promise<{ image: string; spec: unknown }[] | undefined> {
  const op = ctx.op;
  if (op.type === 'create' && op.kind === 'container') {
    return [{ image: text(field(ctx.body(), 'Image')), spec: ctx.body() }];
  }
  if ((op.type === 'create' || op.type === 'update') && op.kind === 'service') {
    // A plugin service has no container image: it is refused below, as an image that cannot be checked.
    return (await ctx.specs()).map((spec) => ({
      image: text(path(spec, 'TaskTemplate', 'ContainerSpec', 'Image')),
      spec,
    }));
  }
  return undefined;
}

/** The signed-images check of every decision; admins are held to it too. */
export const signedImageCheck: Check = {
  name: 'signed images',
  appliesToAdmins: true,
  async run(ctx) {
    const rules = ctx.policy.images;
    if (!rules?.requireSigned) return undefined;
    if (ctx.op.type === 'unchecked-workload') {
      return `signed images only: ${ctx.op.what} run code no image signature covers, so they are refused for everyone while requireSigned is on`;
    }
    const images = await requestedImages(ctx);
    if (images === undefined) return undefined;
    const kind = ctx.op.type === 'create' || ctx.op.type === 'update' ? ctx.op.kind : 'workload';
    for (const { image, spec } of images) {
      const objection = await admitted(ctx, rules, kind, image, spec);
      if (objection !== undefined) return objection;
    }
    return undefined;
  },
};

async function admitted(
  ctx: CheckContext,
  rules: ImagePolicyRules,
  kind: string,
  image: string,
  spec: unknown,
): Promise<string | undefined> {
  if (image === '') {
    return `signed images only: this ${kind} names no container image that could be checked`;
  }
  // eectl's own image, only as eectl's own service and only from an admin: never a free pass for a workload.
  if (
    rules.ownImages.includes(image) &&
    ctx.admin &&
    kind === 'service' &&
    (rules.ownServices ?? []).includes(text(field(spec, 'Name')))
  ) {
    return undefined;
  }
  const signatures = ctx.lookup.signatures;
  if (!signatures) return `signed images only: this manager cannot read signatures: refused (fail closed)`;
  const collection = stringMap(field(spec, 'Labels'))[COLLECTION_LABEL];
  const teams = ctx.policy.teams.filter((t) => t.members.includes(ctx.user)).map((t) => t.name);
  const admission = await admitImage(
    image,
    toPolicy(rules),
    { ...(collection !== undefined && { collection }), teams },
    signatures,
  );
  if (admission.allow) return undefined;
  return `signed images only: ${admission.reason}`;
}

/** A key's fingerprint: the SHA-256 of its public key (SubjectPublicKeyInfo DER). */
function fingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Remembers verified digests (by repository, digest and the set of keys asked about) for `ttlMs`, so a
 * service that is updated again costs no registry round trip. Refusals are not remembered: a signature
 * pushed a moment later counts at once. A key dropped from the file changes the set, so it is asked again.
 */
export function cachedSignatures(
  inner: SignatureLookup,
  options: { ttlMs?: number; now?: () => number } = {},
): SignatureLookup {
  const ttl = options.ttlMs ?? VERIFIED_TTL_MS;
  const now = options.now ?? Date.now;
  const verified = new Map<string, { signedBy: string; until: number }>();
  return async (ref, digest, keys) => {
    const id = `${repositoryName(ref)}@${digest} ${keys
      .map((k) => fingerprint(k.key))
      .sort()
      .join(',')}`;
    const hit = verified.get(id);
    if (hit && hit.until > now()) return { signedBy: hit.signedBy, rejected: [], signatures: 1 };
    const found = await inner(ref, digest, keys);
    if (found.signedBy) {
      if (verified.size >= VERIFIED_MAX) verified.clear();
      verified.set(id, { signedBy: found.signedBy, until: now() + ttl });
    }
    return found;
  };
}

/** How long the plugin's own pull tokens live: one signature look-up. */
const OWN_TOKEN_SECONDS = 60;

/**
 * A pull token for one repository, minted on this manager with the token-signing key (token auth): the
 * plugin is a service account with a key, not a password. Only for the policy's own registry service.
 */
export function ownPullToken(
  rules: RegistryRules,
  repository: string,
  challenge: BearerChallenge,
  keyFile = TOKEN_SIGNING_KEY_FILE,
): string {
  if (challenge.service !== rules.service) {
    throw new Error(
      `the registry asks for tokens of ${challenge.service}, not of this cluster's ${rules.service}: refused`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(keyFile, 'utf8'));
  } catch (error) {
    throw new Error(
      `no token-signing key in ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}): run eectl install`,
      { cause: error },
    );
  }
  return signRegistryToken({
    key,
    issuer: rules.issuer,
    audience: rules.service,
    subject: PLUGIN_REGISTRY_ACCOUNT,
    access: [{ type: 'repository', name: repository, actions: ['pull'] }],
    expirySeconds: OWN_TOKEN_SECONDS,
  }).token;
}

/**
 * Reads signatures from the cluster registry over TLS, trusting the cluster CA. With token auth (the
 * policy's registry rules) with a pull token it mints itself; with htpasswd as the registry's admin
 * (password from its root-only file on this manager; read per look-up, so a new password counts at once).
 */
export function registrySignatures(
  files: {
    caFile?: string;
    passwordFile?: string;
    signingKeyFile?: string;
    registryRules?: () => RegistryRules | undefined;
  } = {},
): SignatureLookup {
  return async (ref, digest, keys) => {
    const rules = files.registryRules?.();
    if (rules) {
      const caPem = clusterCa(files.caFile);
      const client = new RegistryClient({
        registry: ref.registry,
        ca: [caPem],
        token: async (challenge) => ownPullToken(rules, ref.repository, challenge, files.signingKeyFile),
        timeoutMs: REGISTRY_TIMEOUT_MS,
      });
      return verifyDigest(client, ref.repository, digest, keys);
    }
    const passwordFile = files.passwordFile ?? REGISTRY_PASSWORD_FILE;
    let password: string;
    try {
      password = readFileSync(passwordFile, 'utf8').trim();
    } catch (error) {
      throw new Error(
        `no registry password in ${passwordFile} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}): run eectl install`,
        { cause: error },
      );
    }
    const caPem = clusterCa(files.caFile);
    const client = new RegistryClient({
      registry: ref.registry,
      ca: [caPem],
      credentials: { username: REGISTRY_READER, password },
      timeoutMs: REGISTRY_TIMEOUT_MS,
    });
    return verifyDigest(client, ref.repository, digest, keys);
  };
}

/** The cluster CA's PEM; a damaged file says so here, not as a TLS error. */
function clusterCa(caFile = CA_FILE): string {
  const caPem = readFileSync(caFile, 'utf8');
  new X509Certificate(caPem);
  return caPem;
}
