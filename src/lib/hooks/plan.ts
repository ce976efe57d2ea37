import { hookMatches } from '../config/hook-checks.js';
import type { HookAction, HookSpec, HooksSpec, HookStage, HostSpec } from '../config/schema.js';

/** A hook of the file, with where it is (its id names it in progress, logs, errors and --json). */
export interface PlannedHook {
  /** `spec.hooks.install.before[0]` */
  id: string;
  action: HookAction;
  stage: HookStage;
  spec: HookSpec;
}

/** How a hook is named to the user: its path in the file, and its name when it has one. */
export function hookLabel(hook: PlannedHook): string {
  return hook.spec.name === undefined ? hook.id : `${hook.id} (${hook.spec.name})`;
}

/** The hooks of one action's stage that run on a host, in the file's order. */
export function hooksFor(
  hooks: HooksSpec,
  action: HookAction,
  stage: HookStage,
  host: Pick<HostSpec, 'address' | 'role'>,
): PlannedHook[] {
  const list = (hooks[action] as Partial<Record<HookStage, HookSpec[]>>)[stage] ?? [];
  return list.flatMap((spec, i) =>
    hookMatches(spec, host) ? [{ id: `spec.hooks.${action}.${stage}[${i}]`, action, stage, spec }] : [],
  );
}

/** What a hook learns of its run, as environment variables (never as text in its script). */
export interface HookContext {
  cluster: string;
  host: Pick<HostSpec, 'address' | 'role'>;
  /** The node's host name, from the host's facts, when known. */
  hostname?: string;
}

/** The environment a hook runs with: EECTL_CLUSTER, EECTL_ACTION, EECTL_STAGE, EECTL_HOST, EECTL_ROLE, EECTL_HOSTNAME, EECTL_HOOK. */
export function hookEnv(hook: PlannedHook, context: HookContext): Record<string, string> {
  return {
    EECTL_CLUSTER: context.cluster,
    EECTL_ACTION: hook.action,
    EECTL_STAGE: hook.stage,
    EECTL_HOST: context.host.address,
    EECTL_ROLE: context.host.role,
    ...(context.hostname !== undefined && { EECTL_HOSTNAME: context.hostname }),
    EECTL_HOOK: hook.spec.name ?? hook.id,
  };
}

/**
 * The argv that runs a hook: `env NAME=value … sh -c SCRIPT eectl-hook`. The script is one argument,
 * exactly as the file has it; eectl's values are `env`'s arguments, so none of them is ever shell text
 * (the connection quotes every argument in one place, ssh/quote.ts). They are not secrets, so they
 * are not sent on stdin (ExecOptions.env), which would redact the host's address from every log line.
 */
export function hookCommand(hook: PlannedHook, env: Record<string, string>): string[] {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return ['env', ...assignments, 'sh', '-c', hook.spec.run, 'eectl-hook'];
}
