import { describe, expect, it } from 'vitest';
import sma from '../../fixtures/sma_crossover.json';
import macd from '../../fixtures/macd_trend_stop.json';
import { fromFlow, parseGraph, toFlow, type GraphDoc } from './graph';

function roundTrip(doc: GraphDoc): GraphDoc {
  const { nodes, edges, meta } = toFlow(doc);
  return fromFlow(nodes, edges, meta);
}

describe('graph_json ⇄ React Flow', () => {
  it('round-trips the examples exactly', () => {
    for (const ex of [sma, macd]) {
      const doc = parseGraph(structuredClone(ex));
      expect(roundTrip(doc)).toEqual(ex);
      expect(JSON.stringify(roundTrip(doc))).toBe(JSON.stringify(ex));
    }
  });

  it('maps positions and ports', () => {
    const { nodes, edges } = toFlow(parseGraph(structuredClone(sma)));
    expect(nodes[1]).toMatchObject({ id: 'fast', position: { x: 220, y: 40 } });
    expect(edges[2]).toMatchObject({
      source: 'fast',
      sourceHandle: 'out',
      target: 'golden_cross',
      targetHandle: 'a',
    });
  });

  it('keeps unknown fields of the document, nodes, edges and settings', () => {
    const doc = {
      schema: 1,
      extra: { note: 'kept' },
      nodes: [
        {
          id: 'c',
          kind: 'source.close',
          params: {},
          ui: { x: 1, y: 2, color: 'red' },
          comment: 'hi',
        },
        { id: 's', kind: 'indicator.sma', params: { period: { $param: 'p' } } },
      ],
      edges: [{ from: 'c', from_port: 'out', to: 's', to_port: 'in', label: 'x' }],
      parameters: [{ name: 'p', type: 'int', default: 5, min: 1 }],
      settings: {
        initial_cash: 5,
        commission: 0.001,
        slippage_bps: 2,
        fractional: true,
        periods_per_year: 365,
      },
    } as unknown as GraphDoc;
    expect(roundTrip(structuredClone(doc))).toEqual(doc);
  });

  it('writes a moved node position back into ui, keeping other ui keys', () => {
    const doc = parseGraph({
      schema: 1,
      nodes: [
        { id: 'c', kind: 'source.close', params: {}, ui: { x: 1, y: 2, color: 'red' } },
        { id: 'n', kind: 'source.open', params: {} },
      ],
      edges: [],
    });
    const { nodes, edges, meta } = toFlow(doc);
    nodes[0] = { ...nodes[0]!, position: { x: 50, y: 60 } };
    nodes[1] = { ...nodes[1]!, position: { x: 7, y: 8 } };
    const out = fromFlow(nodes, edges, meta);
    expect(out.nodes[0]!.ui).toEqual({ x: 50, y: 60, color: 'red' });
    expect(out.nodes[1]!.ui).toEqual({ x: 7, y: 8 });
  });

  it('reads broken JSON as an empty graph instead of throwing', () => {
    expect(parseGraph(null).nodes).toEqual([]);
    expect(parseGraph({ nodes: 3 }).nodes).toEqual([]);
  });
});
