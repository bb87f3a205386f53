// The strategy graph document (`graph_json`) and its exact conversion to and from React
// Flow nodes and edges. Unknown fields of the document, its nodes and its edges are kept.

import type { Edge, Node, XYPosition } from '@xyflow/react';
import {
  edgeId,
  type GraphDoc,
  type GraphEdge,
  type GraphMeta,
  type GraphNode,
} from '../../common/graphDoc';

export * from '../../common/graphDoc';

/** Data carried by every React Flow node: the document node itself (minus nothing). */
export interface SgNodeData extends Record<string, unknown> {
  node: GraphNode;
  /** Position given to a node that had no `ui` in the document; unchanged, it is not written back. */
  placeholder?: XYPosition;
}

export type SgNode = Node<SgNodeData, 'sg'>;

export interface SgEdgeData extends Record<string, unknown> {
  edge: GraphEdge;
  /** The value on this wire at a chosen bar, shown as a label ("why did this trade fire?"). */
  wire?: { text: string; tone: 'true' | 'false' | 'missing' | 'number' };
}

export type SgEdge = Edge<SgEdgeData>;

function placeholderPosition(i: number): XYPosition {
  return { x: 240 * (i % 5), y: 160 * Math.floor(i / 5) };
}

export function toFlowNode(n: GraphNode, i = 0): SgNode {
  const ui = n.ui;
  const hasPos = !!ui && typeof ui.x === 'number' && typeof ui.y === 'number';
  const position = hasPos ? { x: ui.x, y: ui.y } : placeholderPosition(i);
  const data: SgNodeData = hasPos ? { node: n } : { node: n, placeholder: position };
  return { id: n.id, type: 'sg', position, data };
}

export function toFlowEdge(e: GraphEdge): SgEdge {
  return {
    id: edgeId(e),
    source: e.from,
    sourceHandle: e.from_port,
    target: e.to,
    targetHandle: e.to_port,
    data: { edge: e },
  };
}

/** `graph_json` → React Flow nodes and edges plus the rest of the document. */
export function toFlow(doc: GraphDoc): { nodes: SgNode[]; edges: SgEdge[]; meta: GraphMeta } {
  const { nodes, edges, ...meta } = doc;
  return { nodes: nodes.map(toFlowNode), edges: edges.map(toFlowEdge), meta };
}

export function fromFlowNode(n: SgNode): GraphNode {
  const node = n.data.node;
  const ph = n.data.placeholder;
  if (ph && ph.x === n.position.x && ph.y === n.position.y && !node.ui) return node;
  if (node.ui && node.ui.x === n.position.x && node.ui.y === n.position.y) return node;
  return { ...node, ui: { ...node.ui, x: n.position.x, y: n.position.y } };
}

export function fromFlowEdge(e: SgEdge): GraphEdge {
  const orig = e.data?.edge;
  const four = {
    from: e.source,
    from_port: e.sourceHandle ?? 'out',
    to: e.target,
    to_port: e.targetHandle ?? 'in',
  };
  if (orig && edgeId(orig) === edgeId(four)) return orig;
  return { ...orig, ...four };
}

/** React Flow nodes and edges plus the rest of the document → `graph_json`. */
export function fromFlow(
  nodes: readonly SgNode[],
  edges: readonly SgEdge[],
  meta: GraphMeta,
): GraphDoc {
  // The documented key order first (schema, nodes, edges, parameters, settings), then the rest.
  const { schema, parameters, settings, ...rest } = meta;
  return {
    schema,
    nodes: nodes.map(fromFlowNode),
    edges: edges.map(fromFlowEdge),
    parameters,
    settings,
    ...rest,
  };
}

/** Is a param value a `{"$param": name}` binding? */
export function isBinding(v: unknown): v is { $param: string } {
  return !!v && typeof v === 'object' && typeof (v as { $param?: unknown }).$param === 'string';
}

/** A fresh node id from a kind (`indicator.sma` → `sma`, `sma_2`, ...). */
export function freshId(kind: string, taken: { has(id: string): boolean }): string {
  const stem = (kind.split('.').pop() ?? 'node').replace(/[^a-z0-9_]/gi, '_');
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}
