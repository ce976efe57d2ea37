import type { IdentityDiff } from '../access/identity-diff.js';

/** What a sync changes for people, one line each, for the terminal. */
export function renderIdentityDiff(diff: IdentityDiff): string[] {
  const lines = [
    ...diff.usersAdded.map((u) => `+ user ${u.name} (${u.source})`),
    ...diff.usersRemoved.map((u) => `- user ${u.name} (${u.source})`),
    ...diff.membershipsAdded.map((m) => `+ ${m.user} in team ${m.team}`),
    ...diff.membershipsRemoved.map((m) => `- ${m.user} in team ${m.team}`),
    ...diff.revoked.map(
      (name) => `! ${name}: certificates issued before now revoked, registry logins refused`,
    ),
  ];
  return lines.length > 0 ? lines : ['No change in users or teams.'];
}

/** Rows of `identity ls`: name, source, admin, teams. */
export function renderIdentityUsers(
  users: readonly { name: string; source: string; admin: boolean; teams: string[] }[],
): string[] {
  const width = Math.max(4, ...users.map((u) => u.name.length));
  const head = `${'USER'.padEnd(width)}  SOURCE  ADMIN  TEAMS`;
  return [
    head,
    ...users.map(
      (u) =>
        `${u.name.padEnd(width)}  ${u.source.padEnd(6)}  ${(u.admin ? 'yes' : 'no').padEnd(5)}  ${u.teams.join(', ') || '-'}`,
    ),
  ];
}
