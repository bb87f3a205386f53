// The editor showing a run's version read-only with every wire labelled with its value at
// one bar, a ◀ ▶ bar stepper, and the way back to the results.

import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useMemo } from 'react';
import { useApp } from '../../common/app';
import { edgeTypes } from './EdgeView';
import { fmtBarTime } from '../../common/format';
import { tradeWords, useExplain } from './explain';
import { toFlow, type SgEdge, type SgNode } from './graph';
import { nodeTypes } from './NodeView';

export function ExplainView() {
  const run = useExplain((s) => s.run);
  const doc = useExplain((s) => s.doc);
  const bar = useExplain((s) => s.bar);
  const signal = useExplain((s) => s.signal);
  const maxBar = useExplain((s) => s.maxBar);
  const tradeNo = useExplain((s) => s.tradeNo);
  const trade = useExplain((s) => s.trade);
  const time = useExplain((s) => s.time);
  const labels = useExplain((s) => s.labels);
  const loading = useExplain((s) => s.loading);
  const error = useExplain((s) => s.error);
  const { setBar, close } = useExplain.getState();

  const flow = useMemo(() => (doc ? toFlow(doc) : null), [doc]);
  const nodes = useMemo<SgNode[]>(
    () =>
      flow?.nodes.map((n) => ({
        ...n,
        data: { ...n.data, static: true },
        draggable: false,
        connectable: false,
      })) ?? [],
    [flow],
  );
  const edges = useMemo<SgEdge[]>(
    () =>
      flow?.edges.map((e) => {
        const wire = labels[e.id];
        return wire && e.data ? { ...e, data: { ...e.data, wire } } : e;
      }) ?? [],
    [flow, labels],
  );
  if (!run) return null;
  const back = () => {
    close();
    useApp.getState().setView('runs');
  };
  return (
    <div className="explain" data-testid="explain-view">
      <div className="banner info" data-testid="explain-banner">
        <span>
          <b data-testid="explain-trade">
            Why did{' '}
            {trade && tradeNo !== null
              ? tradeWords(trade, tradeNo)
              : tradeNo !== null
                ? `trade #${tradeNo}`
                : 'this trade'}{' '}
            fire?
          </b>{' '}
          {run.strategyTitle} v{run.version} (read-only) · values at{' '}
          <b data-testid="explain-date">{time !== null ? fmtBarTime(time) : '…'}</b>{' '}
          <span className="muted">
            (bar <span data-testid="explain-bar">{bar}</span>)
          </span>
          {bar === signal ? ' — the signal bar: the entry filled at the next open' : ''}
        </span>
        <span className="grow" />
        <button
          className="btn small"
          onClick={() => void setBar(bar - 1)}
          disabled={bar <= 0 || loading}
          title="Previous bar"
          data-testid="explain-prev"
        >
          ◀
        </button>
        <button
          className="btn small"
          onClick={() => void setBar(bar + 1)}
          disabled={(maxBar !== null && bar >= maxBar) || loading}
          title="Next bar"
          data-testid="explain-next"
        >
          ▶
        </button>
        {bar !== signal && (
          <button className="btn small" onClick={() => void setBar(signal)}>
            Signal bar
          </button>
        )}
        <button className="btn small" onClick={back} data-testid="explain-close">
          Back to results
        </button>
      </div>
      {error && (
        <div className="banner error" role="alert" data-testid="explain-error">
          {error}
        </div>
      )}
      <div className="canvas" style={{ flex: 1 }} data-testid="explain-canvas">
        {doc ? (
          <ReactFlowProvider>
            <ReactFlow<SgNode, SgEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              edgeTypes={edgeTypes}
              nodesDraggable={false}
              nodesConnectable={false}
              elementsSelectable={false}
              fitView
              fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
              minZoom={0.1}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} color="var(--grid)" />
              <Controls showInteractive={false} />
            </ReactFlow>
          </ReactFlowProvider>
        ) : (
          <div className="muted" style={{ padding: 20 }}>
            {error ? 'The version could not be loaded.' : 'Loading…'}
          </div>
        )}
      </div>
    </div>
  );
}
