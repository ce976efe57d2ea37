import { z } from 'zod';
import { ACCESS_ROLES, COLLECTION_PATH } from './access-names.js';
import { WATCHER_USER } from '../host-layout.js';

import {
  REPOSITORY_PATTERN,
  TAG_PATTERN,
  bucketName,
  CONTROL,
  fileMode,
  fileOwner,
  hostFilePath,
  hostOrIp,
  hostPath,
  imageReference,
  ipAddress,
  labelKey,
  labelValue,
  localPath,
  packageVersion,
  regionName,
  registryEndpointUrl,
  registryUserName,
  serviceToRestart,
  subjectAltName,
  urlOf,
  userName,
} from './fields.js';
import { noProxyProblem, proxyUrlProblem } from './proxy-url.js';

/**
 * The cluster file's schema (apiVersion eectl/v1, kind Cluster). The single source of truth: types are
 * inferred from it, defaults live in it, and `schema/cluster.schema.json` is generated from it.
 * Relations between fields (a manager exists, addresses are unique, registry storage is shared) are
 * checked in `checks.ts`, where each can name the lines involved.
 */

export const ROLES = ['manager', 'worker', 'registry'] as const;
export type Role = (typeof ROLES)[number];

export const ENGINE_SOURCES = ['docker', 'distro', 'mirror'] as const;
export type EngineSource = (typeof ENGINE_SOURCES)[number];

/** Default registry storage: one replica's local disk, so a second replica needs shared storage or s3. */
export const DEFAULT_REGISTRY_PATH = '/var/lib/eectl/registry';

const port = z.number().int().min(1).max(65535);

/** A URL eectl fetches packages or objects from. */
const fetchUrl = urlOf(/^(https?|file)$/, 'must be a URL starting with http://, https:// or file://');

/** The name of an environment variable holding a secret: secrets never live in the file. */
export const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable (letters, digits, _)')
  .describe('Name of an environment variable that holds the secret (secrets never live in the file)');

/** A cluster name: used in paths (~/.eectl/<name>) and in labels, so DNS-label shaped. */
export const clusterNameSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes')
  .describe('Names the cluster in logs and under ~/.eectl/<name>/');

export const bastionSchema = z
  .strictObject({
    address: hostOrIp.describe('Jump host, reached first; the target is reached through it'),
    user: userName.optional(),
    port: port.optional(),
    keyPath: localPath.optional().describe('Relative to the cluster file; ~ is the home directory'),
  })
  .describe('Reach the host through this jump host');

export const sshSchema = z.strictObject({
  user: userName.optional().describe('Login user; default from ~/.ssh/config, else root'),
  port: port.optional().describe('Default from ~/.ssh/config, else 22'),
  keyPath: localPath
    .optional()
    .describe('Private key file, relative to the cluster file; ssh-agent is used when absent'),
  keyPassphraseEnv: envNameSchema.optional(),
  passwordEnv: envNameSchema
    .optional()
    .describe('Password authentication, from this environment variable only'),
  bastion: bastionSchema.optional(),
});

const collectionSchema = z
  .string()
  .regex(COLLECTION_PATH, 'must be a collection path such as /Shared/team (parts: letters, digits, . _ @ -)');

/** A distinguished name (RFC 4514): checked for shape only; the directory reads it. */
const ldapDn = z
  .string()
  .min(3)
  .max(1024)
  .refine((v) => !CONTROL.test(v), 'must not contain control characters or line breaks')
  .refine(
    (v) => /^[A-Za-z][A-Za-z0-9-]*=/.test(v) || /^[0-9.]+=/.test(v),
    'must be a DN such as ou=people,dc=example,dc=org',
  );

/** A search filter (RFC 4515) in parentheses; parsed for real when eectl reads the directory. */
const ldapFilter = z
  .string()
  .max(4096)
  .refine((v) => !CONTROL.test(v), 'must not contain control characters or line breaks')
  .refine(
    (v) => v.startsWith('(') && v.endsWith(')'),
    'must be an LDAP filter in parentheses, e.g. (objectClass=person)',
  );

/** The first part of a repository path, as Distribution's reference grammar allows it. */
const registryNamespace = z
  .string()
  .max(64)
  .regex(
    /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/,
    'must be lower-case letters and digits, joined by . _ __ or -',
  );

/** A file to upload to the hosts (`spec.files`, a host's `files`). */
export const fileSchema = z.strictObject({
  source: localPath.describe('A regular file on this machine, relative to the cluster file'),
  destination: hostFilePath.describe(
    "Absolute, normalized path on the host (no . or ..); never one of eectl's own places (daemon.json, /etc/eectl, …)",
  ),
  mode: fileMode.default('0644').describe('Octal permission bits, quoted: "0644", "0600"'),
  owner: fileOwner.optional().describe('user or user:group (names or numeric ids); root:root when absent'),
  restart: serviceToRestart
    .optional()
    .describe(
      'A service to restart when the file changed: docker or containerd restart the engine through the rolling path, one host at a time',
    ),
});

/** A proxy URL in the file: checked by proxy-url.ts's positive model; credentials only through urlEnv. */
const proxyUrl = z.string().superRefine((value, ctx) => {
  const problem = proxyUrlProblem(value, { credentials: false });
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const noProxyEntry = z.string().superRefine((value, ctx) => {
  const problem = noProxyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const proxySchema = z
  .strictObject({
    http: proxyUrl
      .optional()
      .describe('The proxy for http:// downloads, http://HOST[:PORT] (no user or password: use urlEnv)'),
    https: proxyUrl
      .optional()
      .describe('The proxy for https:// downloads; the http proxy (or urlEnv) when absent'),
    urlEnv: envNameSchema
      .optional()
      .describe(
        'Instead of http: an environment variable holding the proxy URL, for one with credentials (http://USER:PASSWORD@HOST:PORT); a secret, never shown',
      ),
    noProxy: z
      .array(noProxyEntry)
      .default([])
      .describe(
        "Reached directly (host names, .domain, IP addresses, CIDR ranges), besides the cluster's own addresses, localhost and the swarm's address pools",
      ),
  })
  .refine((p) => p.http !== undefined || p.https !== undefined || p.urlEnv !== undefined, {
    message: 'give http, https or urlEnv',
  })
  .refine((p) => !(p.http !== undefined && p.urlEnv !== undefined), {
    message: 'give http or urlEnv, not both',
  })
  .describe(
    "An HTTP proxy for the package manager's downloads and the engine's pulls (a systemd drop-in for docker)",
  );

export const hostSchema = z.strictObject({
  address: hostOrIp.describe('Address eectl connects to over SSH (a host name or an IP address)'),
  role: z
    .enum(ROLES)
    .describe(
      'manager: Swarm manager and control plane; worker: runs services; registry: runs a registry replica',
    ),
  ssh: sshSchema.prefault({}),
  localhost: z.boolean().default(false).describe('Run commands locally instead of over SSH'),
  privateAddress: ipAddress
    .optional()
    .describe('Swarm advertise address (an IP address); detected when absent'),
  labels: z
    .record(labelKey, labelValue)
    .default({})
    .describe('Swarm node labels (keys not starting with eectl.)'),
  collection: collectionSchema
    .optional()
    .describe(
      'Node collection of a worker for access control (its label eectl.collection): non-admins run services only on the workers of collections they may schedule on; default /Shared. Managers and registry hosts are always /System',
    ),
  files: z
    .array(fileSchema)
    .optional()
    .describe("Files for this host only; an entry wins over spec.files' entry for the same destination"),
  proxy: proxySchema.optional().describe("This host's proxy, instead of spec.proxy"),
});

export const engineSchema = z.strictObject({
  source: z
    .enum(ENGINE_SOURCES)
    .default('docker')
    .describe(
      "docker: Docker's repositories (docker-ce); distro: the distribution's docker.io; mirror: repoUrl",
    ),
  version: packageVersion
    .optional()
    .describe('Exact package version or a prefix such as "26.1" (quoted: it is text, not a number)'),
  repoUrl: fetchUrl.optional().describe('Package repository for source: mirror (air-gapped sites)'),
  repoKey: z
    .string()
    .min(1)
    .optional()
    .describe(
      'source: mirror: the ASCII-armored public key that signs the mirror (relative to the cluster file)',
    ),
  insecure: z
    .boolean()
    .default(false)
    .describe('source: mirror without repoKey: install unsigned packages on purpose (warned on every run)'),
  daemon: z.record(z.string(), z.unknown()).default({}).describe('Merged into /etc/docker/daemon.json'),
});

export const swarmSchema = z.strictObject({
  defaultAddrPool: z
    .array(z.cidrv4())
    .default([])
    .describe('Address pools for overlay networks, e.g. 10.20.0.0/16'),
  subnetSize: z.number().int().min(8).max(29).optional(),
  dataPathPort: port.default(4789),
});

export const controlPlaneSchema = z.strictObject({
  apiPort: port.default(2376).describe('Engine API port on every manager, protected by mutual TLS'),
  san: z.array(subjectAltName).default([]).describe('Extra names and addresses in the API certificates'),
  ca: z
    .strictObject({ certPath: localPath, keyPath: localPath })
    .optional()
    .describe(
      'An existing CA to sign with (paths relative to the cluster file); eectl creates one when absent',
    ),
});

export const filesystemStorageSchema = z.strictObject({
  filesystem: z.strictObject({
    path: hostPath.describe('Absolute path on every registry host (no comma, no ..)'),
    shared: z
      .boolean()
      .default(false)
      .describe('The path is shared storage mounted on every registry host (required for more than one)'),
  }),
});

export const s3StorageSchema = z.strictObject({
  s3: z.strictObject({
    bucket: bucketName,
    region: regionName,
    endpoint: fetchUrl.optional().describe('For S3-compatible stores (MinIO, Ceph); AWS when absent'),
    accessKeyEnv: envNameSchema,
    secretKeyEnv: envNameSchema,
  }),
});

/** One keep clause of a retention rule (see registry/retention.ts for the semantics). */
const keepClauseSchema = z
  .strictObject({
    last: z.number().int().min(0).max(100_000).optional().describe('Keep the N newest tags the clause names'),
    newerThan: z
      .string()
      .regex(/^[1-9][0-9]{0,5}[hdw]$/, "must be a duration: a number and h, d or w, e.g. '30d'")
      .optional()
      .describe("Keep the tags created within this long, e.g. '30d', '12h', '2w'"),
    matching: z
      .string()
      .regex(TAG_PATTERN, "must be a tag pattern: tag characters with * and ?, e.g. 'v*'")
      .optional()
      .describe("The clause speaks only for tags matching this pattern (default '*')"),
  })
  .describe('A tag is kept when any clause keeps it; with neither last nor newerThan, every tag it names');

export const retentionRuleSchema = z.strictObject({
  repository: z
    .string()
    .regex(REPOSITORY_PATTERN, "must be a repository pattern: 'team/*', 'team/**', 'web/app'")
    .describe('Repositories the rule applies to: * within one path segment, ** across segments'),
  keep: z
    .union([keepClauseSchema, z.array(keepClauseSchema).min(1)])
    .describe('What to keep: one clause or a list; every other tag of the repository is pruned'),
  pruneSigned: z
    .boolean()
    .default(false)
    .describe('Also prune tags signed by a trusted key (kept otherwise, whatever the clauses say)'),
});

/** A pull-through cache of another registry (`registry.mirrors`): its own service and port on the registry hosts. */
export const registryMirrorSchema = z.strictObject({
  name: z
    .string()
    .max(32)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters and digits, joined by -')
    .describe(
      "The mirror's name (`hub`): its service eectl-registry-mirror-<name>, its cache directory, and with token auth the namespace whose grants decide who may pull through it",
    ),
  upstream: urlOf(/^https?$/, 'must be a URL starting with https:// (or http:// with insecure: true)')
    // The mirror's config is a swarm config template: braces would be read as template actions.
    .refine((v) => !/[{}]/.test(v), 'must not contain { or }')
    .describe('The registry to cache, e.g. https://registry-1.docker.io'),
  port: port.describe(
    "The mirror's HTTPS port on every registry host (its own endpoint, with the registry's TLS)",
  ),
  insecure: z
    .boolean()
    .default(false)
    .describe('Allow an http:// upstream: images (and the upstream password) travel unencrypted'),
  username: z
    .string()
    .min(1)
    .max(256)
    .refine((v) => !/[{}]/.test(v) && !CONTROL.test(v), 'must not contain { } or control characters')
    .optional()
    .describe('Upstream login name (with passwordEnv)'),
  passwordEnv: envNameSchema
    .optional()
    .describe('Environment variable holding the upstream password (a swarm secret on the hosts)'),
  engines: z
    .boolean()
    .default(false)
    .describe(
      "Write the mirror into every engine's registry-mirrors (Docker Hub only; the mirror then serves pulls without a login)",
    ),
});

/** A webhook receiver of the registry's events (see webhooks/relay.ts). */
export const registryNotificationSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/,
      'must be lower-case letters, digits and dashes (at most 40)',
    )
    .describe('Names the endpoint in `eectl status` and in the relay'),
  url: urlOf(/^https?$/, 'must be a URL starting with http:// or https://').describe(
    'Where the relay posts each delivery (from the registry hosts)',
  ),
  events: z
    .array(z.enum(['push', 'delete']))
    .min(1)
    .default(['push'])
    .describe('Which manifest events are sent: push, delete'),
  secretEnv: envNameSchema.describe(
    'Environment variable holding the HMAC-SHA256 key the deliveries are signed with',
  ),
});

export const registrySchema = z.strictObject({
  image: imageReference.default('registry:2.8.3'),
  port: port.default(5443),
  externalUrl: registryEndpointUrl
    .optional()
    .describe('How clients reach the registry (a load balancer): https://HOST[:PORT] or HOST[:PORT]'),
  storage: z
    .union([filesystemStorageSchema, s3StorageSchema])
    .default({ filesystem: { path: DEFAULT_REGISTRY_PATH, shared: false } })
    .describe('Where every replica keeps images: one shared filesystem path, or an S3 bucket'),
  auth: z
    .strictObject({
      htpasswd: z
        .strictObject({
          users: z.array(z.strictObject({ name: registryUserName, passwordEnv: envNameSchema })).default([]),
        })
        .optional()
        .describe('A list of users, each of whom may push and pull every repository (small clusters)'),
      token: z
        .strictObject({
          port: port
            .default(5444)
            .describe("The token service's HTTPS port on every manager (docker login reaches it)"),
          realm: fetchUrl
            .optional()
            .describe(
              'The URL clients get tokens from, e.g. a load balancer before the managers; default https://<first manager>:<port>/token',
            ),
          expirySeconds: z
            .number()
            .int()
            .min(60)
            .max(3600)
            .default(300)
            .describe('How long a token is valid'),
        })
        .optional()
        .describe(
          "Logins by the access model's users (file or directory) and permissions per repository from their grants",
        ),
    })
    .optional()
    .describe('How logins are checked: htpasswd (every user may do everything) or token (per repository)'),
  namespaces: z
    .array(
      z.strictObject({
        name: registryNamespace.describe('The first part of a repository path: `web` in `web/app`'),
        collection: collectionSchema.describe(
          "The repositories' collection: its grants decide who may pull or push",
        ),
        public: z.boolean().default(false).describe('Every signed-in user may pull'),
      }),
    )
    .default([])
    .describe(
      "With token auth: which collection each namespace belongs to; `<user>/…` is the user's private collection",
    ),
  mirrors: z
    .array(registryMirrorSchema)
    .default([])
    .describe('Pull-through caches of other registries, each on its own port of the registry hosts'),
  retention: z
    .array(retentionRuleSchema)
    .default([])
    .describe(
      'Which tags `eectl registry prune` keeps: a repository no rule names is never touched; a tag is kept when any clause of any matching rule keeps it',
    ),
  notifications: z
    .array(registryNotificationSchema)
    .default([])
    .describe(
      "Webhooks: Distribution's notifications, each delivery signed (X-Hub-Signature-256) by a relay on every registry host",
    ),
  immutable: z
    .array(
      z.string().regex(REPOSITORY_PATTERN, "must be a repository pattern: 'release/*', 'team/**', 'web/app'"),
    )
    .default([])
    .describe(
      'Repositories whose tags never move (patterns as in retention): a push that would point an existing tag at another image is refused, the same image again is fine; their manifests cannot be deleted. A gate on every registry host checks each push',
    ),
});

/** A collection: an absolute path of the access tree (`/Shared/team`). */
const collectionPathSchema = z
  .string()
  .regex(/^\/([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/, 'must be a collection path such as /Shared/team')
  .refine((p) => !p.split('/').some((part) => part === '.' || part === '..'), 'must not contain . or ..');

/** A cosign public key file (ECDSA P-256 PEM), relative to the cluster file. */
const publicKeyPathSchema = z
  .string()
  .min(1)
  .describe('A cosign public key file (PEM), relative to the cluster file');

export const imagePolicySchema = z.strictObject({
  requireSigned: z
    .boolean()
    .default(false)
    .describe('Workloads start only from images pinned by digest and signed by a trusted key'),
  keys: z.array(publicKeyPathSchema).default([]).describe('Keys trusted for every workload'),
  trust: z
    .array(
      z.strictObject({
        collection: collectionPathSchema.optional().describe('Workloads in this collection and its children'),
        team: z.string().min(1).optional().describe("Workloads created by this team's members"),
        keys: z.array(publicKeyPathSchema).min(1),
      }),
    )
    .default([])
    .describe('Keys trusted only for a collection or a team, besides `keys`'),
  allowUnsigned: z
    .array(z.string().min(1))
    .default([])
    .describe('Image patterns that may run unsigned (`*` within a path part, `**` across parts)'),
});

export const imagesSchema = z.strictObject({
  bundles: z
    .array(localPath)
    .default([])
    .describe('Image archives (docker save), relative to the cluster file, loaded on every host'),
  policy: imagePolicySchema.prefault({}).describe('Run only signed images (cosign signatures)'),
});

/** A user name: a certificate's CN and a directory name, so plain. */
export const accessUserNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "must be letters, digits, '.', '_', '@' or '-' (64 at most)")
  .refine((name) => name.toLowerCase() !== WATCHER_USER, {
    message: `${WATCHER_USER} is the ingress watcher's own identity: choose another name`,
  });
export const accessSchema = z
  .strictObject({
    users: z
      .array(
        z.strictObject({
          name: accessUserNameSchema,
          admin: z.boolean().default(false).describe('Admins may do everything, nodes and /System included'),
          defaultCollection: collectionSchema
            .optional()
            .describe(
              'Named in refusals of creates without a collection label; default /Shared/Private/<name>',
            ),
          passwordHashEnv: envNameSchema
            .optional()
            .describe(
              "The bcrypt hash of the user's registry password (token auth), from this environment variable",
            ),
        }),
      )
      .min(1, 'must list at least one user (an admin)')
      .describe('Who may get a client bundle (eectl client-config --user NAME); removing one revokes it'),
    teams: z
      .array(
        z.strictObject({
          name: accessUserNameSchema,
          members: z.array(accessUserNameSchema).default([]),
          ldapGroup: ldapDn
            .optional()
            .describe("A directory group's DN (spec.identity.ldap): its members are the team's members too"),
        }),
      )
      .default([]),
    grants: z
      .array(
        z.strictObject({
          user: accessUserNameSchema.optional(),
          team: accessUserNameSchema.optional(),
          role: z.enum(ACCESS_ROLES),
          collection: collectionSchema.describe('Inherited by every collection below it; never /System'),
        }),
      )
      .default([])
      .describe('A role on a collection for a user or a team (exactly one of them); grants add up'),
  })
  .describe('Access control on the engine API of the managers (an authorization plugin); off when absent');
/** An age public key, as `age-keygen` prints it. */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export const backupSchema = z.strictObject({
  recipients: z
    .array(z.string().regex(AGE_RECIPIENT, 'must be an age public key (age1…, as age-keygen prints it)'))
    .default([])
    .describe(
      'age public keys every backup is encrypted to (no secret needed to write one); the passphrase from EECTL_BACKUP_PASSPHRASE when empty',
    ),
});

/** The actions that run hooks, and the points of each (reset restarts no engine, so it has no turns). */
export const HOOK_ACTIONS = ['install', 'upgrade', 'backup', 'reset'] as const;
export type HookAction = (typeof HOOK_ACTIONS)[number];
export const HOOK_STAGES = ['before', 'after', 'beforeTurn', 'afterTurn'] as const;
export type HookStage = (typeof HOOK_STAGES)[number];

/** The longest a hook may run: a hook that hangs must not hold the cluster lock for ever. */
export const HOOK_MAX_TIMEOUT_S = 3600;

export const hookSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be letters, digits, spaces, . _ or - (64 at most)')
    .optional()
    .describe('Names the hook in the progress, the log, errors and --json'),
  run: z
    .string()
    .min(1, 'must be a script (sh)')
    .refine((v) => !v.includes('\0'), 'must not contain a NUL character')
    .describe(
      'The script, run by sh on the host exactly as written: $VAR in it is not substituted from your environment; eectl passes EECTL_CLUSTER, EECTL_ACTION, EECTL_STAGE, EECTL_HOST, EECTL_ROLE, EECTL_HOSTNAME and EECTL_HOOK as environment variables',
    ),
  roles: z
    .array(z.enum(ROLES))
    .default([])
    .describe('Run only on hosts with one of these roles; every role when empty'),
  hosts: z
    .array(hostOrIp)
    .default([])
    .describe('Run only on these hosts (addresses of spec.hosts); with roles, on hosts matching both'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(HOOK_MAX_TIMEOUT_S)
    .default(300)
    .describe('The hook fails when it runs longer (its process is sent SIGTERM)'),
  sudo: z
    .boolean()
    .default(true)
    .describe('Run as root (sudo -n when the login user is not root); false: as the login user'),
});

const hookList = z.array(hookSchema).default([]);
const hookStages = z.strictObject({
  before: hookList.describe(
    'After the plan and its checks, before the first change; one failing stops the run (exit 3)',
  ),
  after: hookList.describe('After the last change, only when the run succeeded'),
  beforeTurn: hookList.describe(
    'On a host at the start of its turn in a rolling change, before it is drained; one failing stops the rolling change at that host, untouched',
  ),
  afterTurn: hookList.describe('On a host at the end of its turn: Ready, active and verified again'),
});

export const hooksSchema = z
  .strictObject({
    install: hookStages.prefault({}).describe('Around `eectl install` and its rolling engine restarts'),
    upgrade: hookStages
      .prefault({})
      .describe("Around `eectl upgrade` (only when it upgrades a host) and each host's turn"),
    backup: hookStages.prefault({}).describe('Around `eectl backup` (also the one upgrade takes first)'),
    reset: hookStages
      .omit({ beforeTurn: true, afterTurn: true })
      .prefault({})
      .describe('Around `eectl reset`'),
  })
  .describe("Your own scripts, run on the hosts before and after eectl's actions, chosen by role or host");

/** An LDAP attribute name (RFC 4512 descr). */
const ldapAttribute = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be an LDAP attribute name');

export const ldapSchema = z.strictObject({
  url: urlOf(/^ldaps?$/, 'must be an ldaps:// or ldap:// URL').describe(
    'The directory: ldaps://HOST[:PORT], or ldap://HOST[:PORT] with startTLS (or insecure)',
  ),
  startTLS: z
    .boolean()
    .default(false)
    .describe('Upgrade ldap:// to TLS with StartTLS before anything is sent'),
  insecure: z
    .boolean()
    .default(false)
    .describe('ldap:// without TLS on purpose: passwords cross the network readable (warned on every run)'),
  caPath: localPath
    .optional()
    .describe("The CA (PEM) the directory's certificate is checked against, relative to the cluster file"),
  bindDN: ldapDn.describe('The account eectl reads users and groups with (identity sync, install)'),
  bindPasswordEnv: envNameSchema,
  userBase: ldapDn.describe('Where users are searched (the whole subtree)'),
  userAttribute: ldapAttribute
    .default('uid')
    .describe('The login name: uid, or sAMAccountName on Active Directory'),
  userFilter: ldapFilter.default('(objectClass=*)').describe('Which entries under userBase are users'),
  groupBase: ldapDn.describe('Where groups are searched (the whole subtree)'),
  groupFilter: ldapFilter
    .default('(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))')
    .describe('Which entries under groupBase are groups'),
  memberAttribute: ldapAttribute
    .default('member')
    .describe("The group attribute naming its members' DNs (member, uniqueMember)"),
  timeoutSeconds: z.number().int().min(1).max(120).default(10).describe('For each connection and search'),
});

/** A swarm network name: what `docker network create` accepts, narrowed. */
const networkName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be a network name (letters, digits, _ . -)');

export const ingressSchema = z
  .strictObject({
    nodes: z
      .array(hostOrIp)
      .min(1, 'must list at least one host (two for high availability)')
      .describe('Addresses of hosts in spec.hosts that run a proxy (two or more for HA)'),
    image: imageReference
      .default('haproxy:2.6')
      .describe('The HAProxy image: the official one, or one from images.bundles for air-gapped sites'),
    ports: z
      .strictObject({
        http: port.default(80).describe('Published in host mode on every ingress node'),
        https: port.default(443).describe('Published in host mode on every ingress node'),
      })
      .prefault({}),
    network: networkName
      .default('eectl-ingress')
      .describe('The overlay network the proxies reach services on: a routed service joins it'),
  })
  .describe('HTTP ingress: HAProxy on chosen nodes routes by host name and path from service labels');

export const identitySchema = z.strictObject({
  ldap: ldapSchema
    .optional()
    .describe('Users and teams from an LDAP / Active Directory directory, besides those of spec.access'),
});

export const clusterSchema = z.strictObject({
  apiVersion: z.literal('eectl/v1'),
  kind: z.literal('Cluster'),
  metadata: z.strictObject({ name: clusterNameSchema }),
  spec: z.strictObject({
    hosts: z.array(hostSchema).min(1, 'must list at least one host').describe('Every machine eectl manages'),
    engine: engineSchema.prefault({}).describe('Docker Engine: where it comes from and how it is configured'),
    swarm: swarmSchema.prefault({}),
    controlPlane: controlPlaneSchema.prefault({}),
    registry: registrySchema.prefault({}).describe('Registry replicas, one per host with role registry'),
    images: imagesSchema.prefault({}),
    access: accessSchema.optional(),
    identity: identitySchema.prefault({}).describe('Where users come from besides this file (a directory)'),
    backup: backupSchema.prefault({}).describe('How `eectl backup` encrypts its archives'),
    hooks: hooksSchema.prefault({}),
    ingress: ingressSchema.optional(),
    files: z
      .array(fileSchema)
      .default([])
      .describe(
        'Files uploaded to every host by install, idempotent by checksum (source relative to the cluster file)',
      ),
    proxy: proxySchema.optional(),
  }),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type FileSpec = z.output<typeof fileSchema>;
export type SshSpec = z.output<typeof sshSchema>;
export type BastionSpec = z.output<typeof bastionSchema>;
export type EngineSpec = z.output<typeof engineSchema>;
export type SwarmSpec = z.output<typeof swarmSchema>;
export type ControlPlaneSpec = z.output<typeof controlPlaneSchema>;
export type RegistrySpec = z.output<typeof registrySchema>;
export type RegistryStorage = RegistrySpec['storage'];
export type RegistryMirrorSpec = z.output<typeof registryMirrorSchema>;
export type ImagesSpec = z.output<typeof imagesSchema>;
export type ImagePolicySpec = z.output<typeof imagePolicySchema>;
export type AccessSpec = z.output<typeof accessSchema>;
export type LdapSpec = z.output<typeof ldapSchema>;
export type IdentitySpec = z.output<typeof identitySchema>;
export type IngressSpec = z.output<typeof ingressSchema>;
export type HooksSpec = z.output<typeof hooksSchema>;
export type HookSpec = z.output<typeof hookSchema>;
export type ProxySpec = z.output<typeof proxySchema>;
