/** Types of folder-cycles.mjs, for its unit test. */
export interface FolderEdge {
  from: string;
  to: string;
  /** One import that makes the edge: "<file> imports '<specifier>'". */
  example: string;
}
export interface FolderCycle {
  /** The folders of the cycle, ending where it starts. */
  nodes: string[];
  edges: FolderEdge[];
}
export function folderEdges(root: string): Map<string, Map<string, string>>;
export function folderCycles(root: string): FolderCycle[];
/** Listed subfolders that are nodes of their own, bottom up. */
export const NESTED: Record<string, string[]>;
/** Imports against the order inside a nested folder. */
export function nestedViolations(root: string, edges?: Map<string, Map<string, string>>): FolderEdge[];
