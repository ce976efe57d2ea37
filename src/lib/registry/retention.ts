/**
 * Retention (`registry.retention` of the file): which tags of a repository `eectl registry prune` deletes.
 *
 * Semantics, in one place (the README says the same):
 * - A repository that no rule's `repository` pattern matches is never touched.
 * - A tag is kept when ANY keep clause of ANY rule matching its repository keeps it.
 * - A clause speaks only for the tags its `matching` pattern names (default: every tag). Among those it
 *   keeps the `last` N newest (by the image's creation date) and every one created within `newerThan`;
 *   with neither, it keeps every tag it names.
 * - A tag whose creation date is unknown is kept: what cannot be judged is not deleted.
 * - A tag signed by a trusted key is kept unless every rule matching its repository says `pruneSigned`.
 * - Deleting is by digest, and deleting a digest removes every tag on it: a tag that falls outside the
 *   rules but shares its digest with a kept tag stays (and is reported so).
 * - cosign's own tags (`sha256-<hex>.sig`, `.att`, `.sbom`) are not judged: each goes with the image it
 *   belongs to, deleted only when that image's digest is.
 */

import { repositoryMatches, wildcardMatch } from './repository-pattern.js';

export { repositoryMatches, wildcardMatch } from './repository-pattern.js';

/** One keep clause: `{ last: 5, newerThan: '30d', matching: 'v*' }`. */
export interface KeepClause {
  last?: number | undefined;
  newerThan?: string | undefined;
  matching?: string | undefined;
}

/** One rule of `registry.retention`. */
export interface RetentionRule {
  repository: string;
  keep: KeepClause | KeepClause[];
  pruneSigned?: boolean | undefined;
}

/** A tag as the registry lists it. */
export interface TagFacts {
  tag: string;
  digest: string;
  /** The image's creation date (its config's `created`), when known. */
  created?: Date | undefined;
  /** The trusted key that signed the digest, when one did. */
  signedBy?: string | undefined;
}

/** What retention decided for one tag. */
export interface TagVerdict {
  tag: string;
  digest: string;
  keep: boolean;
  /** Why it is kept, or why it goes. */
  reason: string;
}

/** What retention decided for one repository. */
export interface RepositoryRetention {
  repository: string;
  /** Indexes (0-based) of the rules that match it. */
  rules: number[];
  tags: TagVerdict[];
  /** Digests to delete: those of pruned tags, and of their signatures (no kept tag points at any). */
  deleteDigests: string[];
}

const DURATION = /^([1-9][0-9]{0,5})([hdw])$/;
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `30d`, `12h`, `2w` in milliseconds; undefined for anything else (no default unit, no zero). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** cosign's tags: a signature, attestation or SBOM of the image `sha256:<hex>`. */
const COSIGN_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

const clauses = (rule: RetentionRule): KeepClause[] => (Array.isArray(rule.keep) ? rule.keep : [rule.keep]);

/** Newest first; the same date by tag name, so the choice never depends on the registry's order. */
const newestFirst = (a: TagFacts, b: TagFacts): number =>
  (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0) || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0);

/** Why `clause` keeps `tag` (given every tag of the repository), or undefined when it does not. */
function clauseKeeps(
  clause: KeepClause,
  tag: TagFacts,
  tags: readonly TagFacts[],
  now: Date,
): string | undefined {
  const matching = clause.matching ?? '*';
  if (!wildcardMatch(matching, tag.tag)) return undefined;
  const named = `matches '${matching}'`;
  if (clause.last === undefined && clause.newerThan === undefined) return named;
  if (clause.last !== undefined) {
    const rank = tags
      .filter((t) => t.created !== undefined && wildcardMatch(matching, t.tag))
      .sort(newestFirst)
      .findIndex((t) => t.tag === tag.tag);
    if (rank >= 0 && rank < clause.last) return `among the last ${clause.last} that match '${matching}'`;
  }
  if (clause.newerThan !== undefined) {
    const ms = parseDuration(clause.newerThan);
    if (ms === undefined) throw new Error(`bug: newerThan ${clause.newerThan} passed validation`);
    if (tag.created && now.getTime() - tag.created.getTime() < ms) return `newer than ${clause.newerThan}`;
  }
  return undefined;
}

/** Retention for one repository, or undefined when no rule names it (it is left alone). */
export function planRetention(
  repository: string,
  tags: readonly TagFacts[],
  rules: readonly RetentionRule[],
  now: Date,
): RepositoryRetention | undefined {
  const matched = rules.flatMap((r, i) => (repositoryMatches(r.repository, repository) ? [i] : []));
  if (matched.length === 0) return undefined;
  const judged = tags.filter((t) => !COSIGN_TAG.test(t.tag));
  const pruneSigned = matched.every((i) => rules[i]!.pruneSigned === true);
  const verdicts: TagVerdict[] = judged.map((tag) => {
    const base = { tag: tag.tag, digest: tag.digest };
    if (!tag.created) return { ...base, keep: true, reason: 'creation date unknown' };
    if (tag.signedBy !== undefined && !pruneSigned) {
      return { ...base, keep: true, reason: `signed by ${tag.signedBy}` };
    }
    for (const i of matched) {
      for (const clause of clauses(rules[i]!)) {
        const why = clauseKeeps(clause, tag, judged, now);
        if (why) return { ...base, keep: true, reason: `rule ${i + 1}: ${why}` };
      }
    }
    return { ...base, keep: false, reason: 'outside every rule' };
  });
  // A digest goes only when no kept tag (judged or cosign's) is on it.
  const keptDigests = new Set(verdicts.filter((v) => v.keep).map((v) => v.digest));
  for (const v of verdicts.filter((x) => !x.keep && keptDigests.has(x.digest))) {
    const kept = verdicts.filter((k) => k.keep && k.digest === v.digest).map((k) => k.tag);
    v.keep = true;
    v.reason = `shares its digest with kept ${kept.join(', ')}`;
  }
  const doomed = new Set(verdicts.filter((v) => !v.keep).map((v) => v.digest));
  const companions = tags.filter((t) => {
    const m = COSIGN_TAG.exec(t.tag);
    return m !== null && doomed.has(`sha256:${m[1]}`) && !keptDigests.has(t.digest);
  });
  for (const c of companions)
    verdicts.push({ tag: c.tag, digest: c.digest, keep: false, reason: 'belongs to a pruned image' });
  return {
    repository,
    rules: matched,
    tags: verdicts,
    deleteDigests: [...new Set([...doomed, ...companions.map((c) => c.digest)])],
  };
}

/**
 * An immutable repository (`registry.immutable`, named by `pattern`) keeps every tag whatever the rules
 * say: the registry gate refuses deleting its manifests, and a deleted tag could be pushed again elsewhere.
 */
export function keepImmutable(decided: RepositoryRetention, pattern: string | undefined): void {
  if (pattern === undefined) return;
  const reason = `immutable (registry.immutable '${pattern}')`;
  decided.tags = decided.tags.map((t) => ({ ...t, keep: true, reason }));
  decided.deleteDigests = [];
}
