import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Role } from './schema.js';

/**
 * Edits of spec.hosts in a cluster file that keep everything else of the file as it was written: comments,
 * blank lines, key order, quoting and the spacing inside `{ … }`. The yaml Document API finds the nodes
 * and renders the new one; the edit itself is spliced into the original text at the node's source range,
 * because `Document.toString()` re-renders every flow collection with one spacing style (`{ a }` and
 * `[a]`, as Prettier writes them, cannot both survive it). Every splice is checked against the same edit
 * made with the Document API; when a layout is too unusual to splice safely, the Document API's own
 * rendering is used instead (comments survive either way).
 */

/** A host to add to spec.hosts, in the schema's key order. */
export interface NewHost {
  address: string;
  role: Role;
  ssh?: { user?: string; port?: number; keyPath?: string };
  privateAddress?: string;
  labels?: Record<string, string>;
}

/** The text with `host` appended to spec.hosts, written like the host before it. */
export function addHost(text: string, host: NewHost): string {
  const doc = parseCluster(text);
  const seq = hostsOf(doc);
  const item = stripUndefined(host);
  const expected = doc.clone();
  hostsOf(expected).add(expected.createNode(item));
  const last = seq.items.at(-1);
  if (seq.flow || !isMap(last) || !last.range) return fallback(expected, text);
  const lines = new Lines(text);
  const lastText = text.slice(last.range[0], last.range[1]);
  const dashCol = lines.dashColumn(last.range[0]);
  const contentCol = lines.column(last.range[0]);
  if (dashCol === undefined) return fallback(expected, text);
  const sshNode = last.get('ssh', true);
  const rendered = renderItem(item, {
    flowItem: last.flow === true,
    flowSsh: isMap(sshNode) ? sshNode.flow === true : true,
    padding: flowPadding(
      isMap(sshNode) && sshNode.flow && sshNode.range
        ? text.slice(sshNode.range[0], sshNode.range[1])
        : lastText,
      text,
    ),
    indent: blockIndent(lines, last) ?? 2,
  });
  const prefixed = rendered
    .split('\n')
    .map((line, i) =>
      i === 0
        ? `${' '.repeat(dashCol)}-${' '.repeat(contentCol - dashCol - 1)}${line}`
        : `${' '.repeat(contentCol)}${line}`,
    )
    .join('\n');
  let at = lines.endOfLineAt(last.range[1] - 1);
  let before = text.slice(0, at);
  if (!before.endsWith('\n')) {
    before += '\n';
    at = text.length;
  }
  return verified(`${before}${prefixed}\n${text.slice(at)}`, expected, text);
}

/** The text without spec.hosts[index]; comments above it stay (they may be about the hosts that follow). */
export function removeHost(text: string, index: number): string {
  const doc = parseCluster(text);
  const seq = hostsOf(doc);
  const node = itemAt(seq, index);
  const expected = doc.clone();
  hostsOf(expected).delete(index);
  if (seq.flow || !node.range || seq.items.length === 1) return fallback(expected, text);
  const lines = new Lines(text);
  const start = lines.startOfLineAt(node.range[0]);
  const end = lines.endOfLineAt(node.range[1] - 1);
  return verified(text.slice(0, start) + text.slice(end), expected, text);
}

/** The text with spec.hosts[index].role set to `role`. */
export function setHostRole(text: string, index: number, role: Role): string {
  const doc = parseCluster(text);
  const node = itemAt(hostsOf(doc), index);
  const expected = doc.clone();
  (itemAt(hostsOf(expected), index) as YAMLMap).set('role', role);
  const scalar = isMap(node) ? node.get('role', true) : undefined;
  if (!isScalar(scalar) || !scalar.range) return fallback(expected, text);
  const [start, end] = scalar.range;
  return verified(text.slice(0, start) + role + text.slice(end), expected, text);
}

function parseCluster(text: string): Document {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`the cluster file does not parse: ${doc.errors[0]!.message}`);
  return doc;
}

function hostsOf(doc: Document): YAMLSeq {
  const seq = doc.getIn(['spec', 'hosts'], true);
  if (!isSeq(seq)) throw new Error('the cluster file has no spec.hosts list');
  return seq;
}

function itemAt(seq: YAMLSeq, index: number): Node {
  const node = seq.items[index];
  if (!isMap(node)) throw new Error(`spec.hosts[${index}] is not a host`);
  return node;
}

/** The splice when it means exactly what the Document API edit means; else the Document API's rendering. */
function verified(spliced: string, expected: Document, original: string): string {
  const check = parseDocument(spliced, { uniqueKeys: true });
  if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), expected.toJS())) return spliced;
  return fallback(expected, original);
}

function fallback(expected: Document, original: string): string {
  // Match the file's flow spacing where it has one style; Prettier's mixed style cannot be kept here.
  return expected.toString({ lineWidth: 0, flowCollectionPadding: !/[{[]\S/.test(original) });
}

function renderItem(
  item: Record<string, unknown>,
  style: { flowItem: boolean; flowSsh: boolean; padding: boolean; indent: number },
): string {
  const doc = new Document(item);
  if (style.flowItem && isMap(doc.contents)) doc.contents.flow = true;
  const ssh = doc.get('ssh', true);
  if (isMap(ssh)) ssh.flow = style.flowSsh;
  const labels = doc.get('labels', true);
  if (isMap(labels)) labels.flow = style.flowSsh;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: style.padding, indent: style.indent }).trimEnd();
}

/** How far the file indents a nested block map inside a host (2 unless the host before shows otherwise). */
function blockIndent(lines: Lines, host: YAMLMap): number | undefined {
  for (const pair of host.items) {
    if (isMap(pair.value) && !pair.value.flow && pair.value.range && isScalar(pair.key) && pair.key.range) {
      return lines.column(pair.value.range[0]) - lines.column(pair.key.range[0]);
    }
  }
  return undefined;
}

/** Whether flow maps are written `{ a: 1 }` (true) or `{a: 1}`: as in `sample`, else as the file's first one. */
function flowPadding(sample: string, whole: string): boolean {
  const first = /\{(.)/.exec(sample.includes('{') ? sample : whole);
  return first ? first[1] === ' ' : true;
}

function stripUndefined(host: NewHost): Record<string, unknown> {
  const ssh = host.ssh && Object.fromEntries(Object.entries(host.ssh).filter(([, v]) => v !== undefined));
  const out: Record<string, unknown> = { address: host.address, role: host.role };
  if (ssh && Object.keys(ssh).length > 0) out.ssh = ssh;
  if (host.privateAddress !== undefined) out.privateAddress = host.privateAddress;
  if (host.labels && Object.keys(host.labels).length > 0) out.labels = host.labels;
  return out;
}

/** Line arithmetic on the original text. */
class Lines {
  constructor(private readonly text: string) {}

  startOfLineAt(pos: number): number {
    return this.text.lastIndexOf('\n', pos - 1) + 1;
  }

  /** Just after the newline that ends the line holding `pos` (or the end of the text). */
  endOfLineAt(pos: number): number {
    const nl = this.text.indexOf('\n', pos);
    return nl === -1 ? this.text.length : nl + 1;
  }

  column(pos: number): number {
    return pos - this.startOfLineAt(pos);
  }

  /** The column of the `-` that starts the sequence item whose content begins at `pos`, on the same line. */
  dashColumn(pos: number): number | undefined {
    const head = this.text.slice(this.startOfLineAt(pos), pos);
    const m = /^(\s*)-\s+$/.exec(head);
    return m ? m[1]!.length : undefined;
  }
}

/** The text with spec.engine.version set to `version` (always quoted: a plain 26.1 would be a number). */
export function setEngineVersion(text: string, version: string): string {
  const doc = parseCluster(text);
  const expected = doc.clone();
  expected.setIn(['spec', 'engine', 'version'], version);
  const scalar = doc.getIn(['spec', 'engine', 'version'], true);
  if (!isScalar(scalar) || !scalar.range) return fallback(expected, text);
  const [start, end] = scalar.range;
  const quote = scalar.type === 'QUOTE_SINGLE' ? "'" : '"';
  return verified(`${text.slice(0, start)}${quote}${version}${quote}${text.slice(end)}`, expected, text);
}
