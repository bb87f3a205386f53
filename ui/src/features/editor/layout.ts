// Tidy layout: dagre, left to right, over the node ids and edges of the graph.

import dagre from '@dagrejs/dagre';

export interface LayoutInput {
  id: string;
  width?: number;
  height?: number;
}

export function tidyLayout(
  nodes: readonly LayoutInput[],
  edges: readonly { source: string; target: string }[],
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 70, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width ?? 180, height: n.height ?? 90 });
  for (const e of edges)
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(n.id);
    if (p) {
      const w = n.width ?? 180;
      const h = n.height ?? 90;
      out.set(n.id, { x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2) });
    }
  }
  return out;
}
