import { describe, expect, it } from 'vitest';
import sma from '../../fixtures/sma_crossover.json';
import { diffGraphs, isEmptyDiff } from '../../common/graphDiff';
import { parseGraph, type GraphDoc } from './graph';

const base = (): GraphDoc => parseGraph(structuredClone(sma));

describe('diffGraphs', () => {
  it('finds nothing between equal graphs, and ignores moved nodes', () => {
    const b = base();
    b.nodes[0]!.ui = { x: 999, y: -5 };
    expect(isEmptyDiff(diffGraphs(base(), b))).toBe(true);
  });

  it('reports added, removed and changed nodes by id', () => {
    const b = base();
    b.nodes = b.nodes.filter((n) => n.id !== 'sell');
    b.nodes.push({ id: 'rsi', kind: 'indicator.rsi', params: { period: 14 } });
    b.nodes.find((n) => n.id === 'slow')!.params.period = 50;
    b.nodes.find((n) => n.id === 'buy')!.kind = 'order.enter_short';
    const d = diffGraphs(base(), b);
    expect(d.addedNodes.map((n) => n.id)).toEqual(['rsi']);
    expect(d.removedNodes.map((n) => n.id)).toEqual(['sell']);
    expect(d.changedNodes).toEqual([
      {
        id: 'slow',
        kindBefore: 'indicator.sma',
        kindAfter: 'indicator.sma',
        params: [{ key: 'period', before: { $param: 'slow' }, after: 50 }],
      },
      { id: 'buy', kindBefore: 'order.enter_long', kindAfter: 'order.enter_short', params: [] },
    ]);
  });

  it('compares param objects regardless of key order', () => {
    const a = base();
    const b = base();
    a.nodes[5]!.params = { size: { equity_fraction: 1, x: 1 } };
    b.nodes[5]!.params = { size: { x: 1, equity_fraction: 1 } };
    expect(diffGraphs(a, b).changedNodes).toEqual([]);
  });

  it('matches edges by their 4-tuple', () => {
    const b = base();
    b.edges[0] = { ...b.edges[0]!, to_port: 'other' };
    const d = diffGraphs(base(), b);
    expect(d.addedEdges).toEqual([
      { from: 'close', from_port: 'out', to: 'fast', to_port: 'other' },
    ]);
    expect(d.removedEdges).toEqual([
      { from: 'close', from_port: 'out', to: 'fast', to_port: 'in' },
    ]);
  });

  it('lists changed parameters and settings', () => {
    const b = base();
    b.parameters[0]!.default = 12;
    b.settings.commission = 0.001;
    expect(diffGraphs(base(), b).changedMeta.map((c) => c.key)).toEqual([
      'parameter fast',
      'setting commission',
    ]);
  });
});

describe('diffFlow', () => {
  it('shows the union of both versions, marked', async () => {
    const { diffFlow } = await import('./StaticCanvas');
    const a = base();
    const b = base();
    b.nodes = b.nodes.filter((n) => n.id !== 'sell');
    b.edges = b.edges.filter((e) => e.to !== 'sell');
    b.nodes.push({ id: 'rsi', kind: 'indicator.rsi', params: { period: 14 } });
    b.nodes.find((n) => n.id === 'fast')!.params.period = 5;
    const { nodes, edges } = diffFlow(a, b, diffGraphs(a, b));
    const mark = (id: string) => (nodes.find((n) => n.id === id)!.data as { diff?: string }).diff;
    expect(mark('rsi')).toBe('added');
    expect(mark('sell')).toBe('removed');
    expect(mark('fast')).toBe('changed');
    expect(mark('close')).toBeUndefined();
    expect(edges.filter((e) => e.className === 'diff-removed').map((e) => e.target)).toEqual([
      'sell',
    ]);
  });
});
