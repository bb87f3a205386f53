// Diff of two graph versions, matched by node id: added, removed and changed nodes (kind or
// params differ; position never counts) and added or removed edges by their 4-tuple.

import type { GraphDoc, GraphEdge, GraphNode } from './graphDoc';
import { edgeId } from './graphDoc';

export interface ParamChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface NodeChange {
  id: string;
  kindBefore: string;
  kindAfter: string;
  params: ParamChange[];
}

export interface GraphDiff {
  addedNodes: GraphNode[];
  removedNodes: GraphNode[];
  changedNodes: NodeChange[];
  addedEdges: GraphEdge[];
  removedEdges: GraphEdge[];
  /** Strategy parameters or settings that differ, by name. */
  changedMeta: ParamChange[];
}

/** JSON equality with object keys compared regardless of order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

export function diffGraphs(a: GraphDoc, b: GraphDoc): GraphDiff {
  const an = new Map(a.nodes.map((n) => [n.id, n]));
  const bn = new Map(b.nodes.map((n) => [n.id, n]));
  const addedNodes = b.nodes.filter((n) => !an.has(n.id));
  const removedNodes = a.nodes.filter((n) => !bn.has(n.id));
  const changedNodes: NodeChange[] = [];
  for (const nb of b.nodes) {
    const na = an.get(nb.id);
    if (!na) continue;
    const params: ParamChange[] = [];
    const keys = new Set([...Object.keys(na.params ?? {}), ...Object.keys(nb.params ?? {})]);
    for (const key of [...keys].sort()) {
      const before = na.params?.[key];
      const after = nb.params?.[key];
      if (!jsonEqual(before, after)) params.push({ key, before, after });
    }
    if (na.kind !== nb.kind || params.length) {
      changedNodes.push({ id: nb.id, kindBefore: na.kind, kindAfter: nb.kind, params });
    }
  }
  const ae = new Set(a.edges.map(edgeId));
  const be = new Set(b.edges.map(edgeId));
  const changedMeta: ParamChange[] = [];
  const ap = new Map((a.parameters ?? []).map((p) => [p.name, p]));
  const bp = new Map((b.parameters ?? []).map((p) => [p.name, p]));
  for (const name of new Set([...ap.keys(), ...bp.keys()])) {
    if (!jsonEqual(ap.get(name), bp.get(name))) {
      changedMeta.push({ key: `parameter ${name}`, before: ap.get(name), after: bp.get(name) });
    }
  }
  const as = (a.settings ?? {}) as Record<string, unknown>;
  const bs = (b.settings ?? {}) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(as), ...Object.keys(bs)])) {
    if (!jsonEqual(as[key], bs[key])) {
      changedMeta.push({ key: `setting ${key}`, before: as[key], after: bs[key] });
    }
  }
  return {
    addedNodes,
    removedNodes,
    changedNodes,
    addedEdges: b.edges.filter((e) => !ae.has(edgeId(e))),
    removedEdges: a.edges.filter((e) => !be.has(edgeId(e))),
    changedMeta,
  };
}

export function isEmptyDiff(d: GraphDiff): boolean {
  return (
    !d.addedNodes.length &&
    !d.removedNodes.length &&
    !d.changedNodes.length &&
    !d.addedEdges.length &&
    !d.removedEdges.length &&
    !d.changedMeta.length
  );
}

/** One line of a diff as a table shows it. */
export interface DiffRow {
  change: 'added' | 'removed' | 'changed';
  what: 'node' | 'edge' | 'node param' | 'parameter' | 'setting';
  name: string;
  before: string;
  after: string;
}

/** A value in a diff: a parameter binding as `$name`, numbers and text as they are. */
export function diffValue(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const p = (v as { $param?: unknown }).$param;
    if (typeof p === 'string' && Object.keys(v).length === 1) return `$${p}`;
  }
  return JSON.stringify(v);
}

const edgeName = (e: GraphEdge) => `${e.from}.${e.from_port} → ${e.to}.${e.to_port}`;

/** The diff as table rows: nodes, their params, edges, then parameters and settings. */
export function diffRows(d: GraphDiff): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const n of d.addedNodes)
    rows.push({ change: 'added', what: 'node', name: n.id, before: '—', after: n.kind });
  for (const n of d.removedNodes)
    rows.push({ change: 'removed', what: 'node', name: n.id, before: n.kind, after: '—' });
  for (const c of d.changedNodes) {
    if (c.kindBefore !== c.kindAfter)
      rows.push({
        change: 'changed',
        what: 'node',
        name: c.id,
        before: c.kindBefore,
        after: c.kindAfter,
      });
    for (const p of c.params)
      rows.push({
        change: 'changed',
        what: 'node param',
        name: `${c.id}.${p.key}`,
        before: diffValue(p.before),
        after: diffValue(p.after),
      });
  }
  for (const e of d.addedEdges)
    rows.push({ change: 'added', what: 'edge', name: edgeName(e), before: '—', after: 'wired' });
  for (const e of d.removedEdges)
    rows.push({ change: 'removed', what: 'edge', name: edgeName(e), before: 'wired', after: '—' });
  for (const m of d.changedMeta) {
    const [kind, ...name] = m.key.split(' ');
    rows.push({
      change: m.before === undefined ? 'added' : m.after === undefined ? 'removed' : 'changed',
      what: kind === 'setting' ? 'setting' : 'parameter',
      name: name.join(' '),
      before: diffValue(m.before),
      after: diffValue(m.after),
    });
  }
  return rows;
}
