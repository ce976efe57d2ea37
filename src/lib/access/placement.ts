import { COLLECTION_LABEL } from './model.js';
import { COLLECTION_PATH } from '../config/access-names.js';

/**
 * Where a non-admin's service may run. A plugin cannot change a request, so it cannot add constraints;
 * it requires them instead: every service of a non-admin carries `node.role==worker` (never a manager,
 * where one escape reaches the cluster CA's key) and `node.labels.eectl.collection==C` for a node
 * collection C the owner may schedule on. Install labels every node with its collection (managers and
 * registry hosts `/System`, workers `/Shared` or the host's `collection`), and only admins may change
 * node labels. Constraints are read as swarmkit reads them (manager/constraint/constraint.go).
 */

/** One constraint as swarmkit parses it: `key==value` or `key!=value`, trimmed. */
export interface Constraint {
  key: string;
  equal: boolean;
  value: string;
}

const KEY = /^[a-z_][a-z0-9\-_.]+$/i;
const VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;

/** swarmkit's constraint.Parse for one expression: `==` is looked for first; undefined when the engine refuses it. */
export function parseConstraint(expression: string): Constraint | undefined {
  for (const [op, equal] of [
    ['==', true],
    ['!=', false],
  ] as const) {
    const at = expression.indexOf(op);
    if (at === -1) continue;
    const key = expression.slice(0, at).trim();
    const value = expression.slice(at + op.length).trim();
    if (!KEY.test(key) || !VALUE.test(value)) return undefined;
    return { key, equal, value };
  }
  return undefined;
}

const NODE_LABEL_PREFIX = 'node.labels.';

/** Whether a constraint keeps every task of the service off managers (swarmkit compares roles case-insensitively). */
function workersOnly(c: Constraint): boolean {
  if (c.key.toLowerCase() !== 'node.role') return false;
  const role = c.value.toLowerCase();
  return (c.equal && role === 'worker') || (!c.equal && role === 'manager');
}

/**
 * The node collection a constraint pins, when it is `node.labels.eectl.collection==C` (the prefix is
 * matched without regard to case, the label's name exactly, as swarmkit does).
 */
function collectionPinned(c: Constraint): string | undefined {
  if (!c.equal || c.key.length <= NODE_LABEL_PREFIX.length) return undefined;
  if (c.key.slice(0, NODE_LABEL_PREFIX.length).toLowerCase() !== NODE_LABEL_PREFIX) return undefined;
  return c.key.slice(NODE_LABEL_PREFIX.length) === COLLECTION_LABEL ? c.value : undefined;
}

/**
 * What is wrong with a non-admin service's placement, or undefined when it is held to workers of node
 * collections `mayRunOn` admits. Every constraint must parse as the engine parses it (the engine refuses
 * the spec otherwise); extra constraints only narrow the placement, so they are allowed.
 */
export function placementFinding(
  constraints: readonly string[],
  mayRunOn: (collection: string) => boolean,
  example: string,
): string | undefined {
  const parsed: Constraint[] = [];
  for (const expression of constraints) {
    const c = parseConstraint(expression);
    if (!c) return `the placement constraint ${JSON.stringify(expression)} is not one the engine reads`;
    parsed.push(c);
  }
  const how = `add --constraint node.role==worker --constraint node.labels.${COLLECTION_LABEL}==${example}`;
  if (!parsed.some(workersOnly)) {
    return `a service of a non-admin must be kept off the managers: ${how}`;
  }
  const pinned = parsed.map(collectionPinned).filter((c): c is string => c !== undefined);
  if (pinned.length === 0) {
    return `a service of a non-admin must name the node collection it runs on: ${how}`;
  }
  // Several pins must all hold, so one the user may schedule on is enough; swarmkit compares the value
  // without regard to case, so a pin is read exactly and the file refuses collections that differ in case.
  if (pinned.some((c) => COLLECTION_PATH.test(c) && mayRunOn(c))) return undefined;
  return `the node collection ${pinned.join(', ')} is not one this user may schedule on (the scheduler, restrictedControl or fullControl role there): ${how}`;
}
