// Diff of two graph versions, matched by node id: added, removed and changed nodes (kind or
// params differ; position never counts) and added or removed edges by their 4-tuple.

import type { GraphDoc, GraphEdge, GraphNode } from './graph';
import { edgeId } from './graph';

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
