// Read-only canvases: one past version, or the visual diff of two versions (added, removed
// and changed nodes and edges highlighted; nodes matched by id, so moves are not changes).

import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useMemo } from 'react';
import { CanvasMiniMap } from './CanvasMiniMap';
import { diffGraphs, type GraphDiff } from '../../common/graphDiff';
import {
  edgeId,
  toFlow,
  toFlowEdge,
  toFlowNode,
  type GraphDoc,
  type SgEdge,
  type SgNode,
} from './graph';
import { formatParam, nodeTypes, type CommentNode } from './NodeView';
import type { ParamValue } from '../../ipc/types';
import { commentFrames } from '../../common/lesson';

function staticNode(n: SgNode, diff?: 'added' | 'removed' | 'changed'): SgNode {
  return {
    ...n,
    data: { ...n.data, static: true, ...(diff ? { diff } : {}) },
    draggable: false,
    connectable: false,
  };
}

/** The graph's comment frames as read-only nodes behind the graph. */
export function commentNodes(doc: GraphDoc): CommentNode[] {
  return commentFrames(doc).map((c) => ({
    id: `comment:${c.id}`,
    type: 'comment',
    position: { x: c.x, y: c.y },
    data: { text: c.text, width: c.width ?? 240, height: c.height ?? 120 },
    draggable: false,
    selectable: false,
    connectable: false,
    zIndex: -1,
  }));
}

export function VersionCanvas({ doc }: { doc: GraphDoc }) {
  const { nodes, edges } = useMemo(() => {
    const f = toFlow(doc);
    const graph: (SgNode | CommentNode)[] = f.nodes.map((n) => staticNode(n));
    return { nodes: [...commentNodes(doc), ...graph], edges: f.edges };
  }, [doc]);
  return (
    <ReactFlowProvider>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        nodesConnectable={false}
        nodesDraggable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} color="var(--grid)" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </ReactFlowProvider>
  );
}

/** Nodes and edges of the union of two graphs, marked by what the diff says happened to them. */
export function diffFlow(
  a: GraphDoc,
  b: GraphDoc,
  d: GraphDiff,
): { nodes: SgNode[]; edges: SgEdge[] } {
  const added = new Set(d.addedNodes.map((n) => n.id));
  const changed = new Set(d.changedNodes.map((n) => n.id));
  const nodes = [
    ...b.nodes.map((n, i) =>
      staticNode(
        toFlowNode(n, i),
        added.has(n.id) ? 'added' : changed.has(n.id) ? 'changed' : undefined,
      ),
    ),
    ...d.removedNodes.map((n, i) => staticNode(toFlowNode(n, b.nodes.length + i), 'removed')),
  ];
  const addedE = new Set(d.addedEdges.map(edgeId));
  const edges: SgEdge[] = [
    ...b.edges.map((e) => {
      const fe = toFlowEdge(e);
      return addedE.has(fe.id)
        ? { ...fe, className: 'diff-added', style: { stroke: 'var(--added)', strokeWidth: 2.5 } }
        : fe;
    }),
    ...d.removedEdges.map((e) => ({
      ...toFlowEdge(e),
      className: 'diff-removed',
      style: { stroke: 'var(--removed)', strokeWidth: 2.5, strokeDasharray: '6 4' },
    })),
  ];
  void a;
  return { nodes, edges };
}

export function DiffCanvas({ a, b }: { a: GraphDoc; b: GraphDoc }) {
  const d = useMemo(() => diffGraphs(a, b), [a, b]);
  const { nodes, edges } = useMemo(() => diffFlow(a, b, d), [a, b, d]);
  return (
    <ReactFlowProvider>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        nodesConnectable={false}
        nodesDraggable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} color="var(--grid)" />
        <CanvasMiniMap />
        <Controls showInteractive={false} />
      </ReactFlow>
    </ReactFlowProvider>
  );
}

export function DiffSummary({ a, b }: { a: GraphDoc; b: GraphDoc }) {
  const d = useMemo(() => diffGraphs(a, b), [a, b]);
  const show = (v: unknown) => (v === undefined ? '—' : formatParam(v as ParamValue));
  return (
    <div data-testid="diff-summary" style={{ fontSize: 12 }}>
      <div className="row" style={{ gap: 12, marginBottom: 8 }}>
        <span style={{ color: 'var(--added)' }}>+{d.addedNodes.length} nodes</span>
        <span style={{ color: 'var(--removed)' }}>−{d.removedNodes.length} nodes</span>
        <span style={{ color: 'var(--changed)' }}>~{d.changedNodes.length} changed</span>
        <span className="muted">
          edges +{d.addedEdges.length} −{d.removedEdges.length}
        </span>
      </div>
      {d.addedNodes.map((n) => (
        <div key={`a${n.id}`} style={{ color: 'var(--added)' }}>
          + {n.id} <span className="muted">{n.kind}</span>
        </div>
      ))}
      {d.removedNodes.map((n) => (
        <div key={`r${n.id}`} style={{ color: 'var(--removed)' }}>
          − {n.id} <span className="muted">{n.kind}</span>
        </div>
      ))}
      {d.changedNodes.map((c) => (
        <div key={`c${c.id}`} style={{ marginTop: 4 }}>
          <span style={{ color: 'var(--changed)' }}>~ {c.id}</span>
          {c.kindBefore !== c.kindAfter && (
            <div className="mono" style={{ paddingLeft: 12 }}>
              kind: {c.kindBefore} → {c.kindAfter}
            </div>
          )}
          {c.params.map((p) => (
            <div key={p.key} className="mono" style={{ paddingLeft: 12 }}>
              {p.key}: {show(p.before)} → {show(p.after)}
            </div>
          ))}
        </div>
      ))}
      {d.changedMeta.map((c) => (
        <div key={c.key} className="mono" style={{ marginTop: 4 }}>
          {c.key}: {JSON.stringify(c.before) ?? '—'} → {JSON.stringify(c.after) ?? '—'}
        </div>
      ))}
    </div>
  );
}
