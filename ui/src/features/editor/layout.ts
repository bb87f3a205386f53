// Tidy layout: dagre, left to right, over the wired nodes of the graph; nodes with no wire are
// laid out in a grid below them (dagre alone would stack them all in one column).

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
  const ids = new Set(nodes.map((n) => n.id));
  const wired = new Set<string>();
  for (const e of edges) {
    if (ids.has(e.source) && ids.has(e.target) && e.source !== e.target) {
      wired.add(e.source);
      wired.add(e.target);
    }
  }
  for (const n of nodes) {
    if (wired.has(n.id)) g.setNode(n.id, { width: n.width ?? 180, height: n.height ?? 90 });
  }
  for (const e of edges)
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  let bottom = 0;
  for (const n of nodes) {
    const p = wired.has(n.id) ? g.node(n.id) : undefined;
    if (p) {
      const w = n.width ?? 180;
      const h = n.height ?? 90;
      out.set(n.id, { x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2) });
      bottom = Math.max(bottom, Math.round(p.y + h / 2));
    }
  }
  const loose = nodes.filter((n) => !wired.has(n.id));
  const cols = Math.max(1, Math.ceil(Math.sqrt(loose.length)));
  const top = wired.size ? bottom + 70 : 0;
  loose.forEach((n, i) => {
    out.set(n.id, { x: (i % cols) * (180 + 40), y: top + Math.floor(i / cols) * (90 + 28) });
  });
  return out;
}
