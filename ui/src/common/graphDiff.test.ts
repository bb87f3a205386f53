// The rows the comparison of two runs lists for the graph changes between their versions.

import { describe, expect, it } from 'vitest';
import { diffGraphs, diffRows, diffValue } from './graphDiff';
import { parseGraph, type GraphDoc } from './graphDoc';

// The SMA crossover example, cut to what the diff reads.
const sma = {
  schema: 1,
  nodes: [
    { id: 'close', kind: 'source.close', params: {} },
    { id: 'fast', kind: 'indicator.sma', params: { period: { $param: 'fast' } } },
    { id: 'slow', kind: 'indicator.sma', params: { period: { $param: 'slow' } } },
    { id: 'death_cross', kind: 'signal.cross_below', params: {} },
    { id: 'sell', kind: 'order.exit_long', params: {} },
  ],
  edges: [
    { from: 'close', from_port: 'out', to: 'fast', to_port: 'in' },
    { from: 'close', from_port: 'out', to: 'slow', to_port: 'in' },
    { from: 'fast', from_port: 'out', to: 'death_cross', to_port: 'a' },
    { from: 'slow', from_port: 'out', to: 'death_cross', to_port: 'b' },
    { from: 'death_cross', from_port: 'out', to: 'sell', to_port: 'when' },
  ],
  parameters: [
    { name: 'fast', type: 'int', default: 10, min: 2, max: 200 },
    { name: 'slow', type: 'int', default: 30, min: 2, max: 400 },
  ],
  settings: { initial_cash: 10000, commission: 0, slippage_bps: 0, fractional: false },
};

const base = (): GraphDoc => parseGraph(structuredClone(sma));

describe('diffRows', () => {
  it('lists every node, param, edge, parameter and setting that changed', () => {
    const a = base();
    const b = base();
    b.nodes = b.nodes.filter((n) => n.id !== 'sell');
    b.edges = b.edges.filter((e) => e.to !== 'sell');
    b.nodes.push({ id: 'rsi', kind: 'indicator.rsi', params: { period: 14 } });
    b.edges.push({ from: 'close', from_port: 'out', to: 'rsi', to_port: 'in' });
    b.nodes.find((n) => n.id === 'fast')!.params.period = 5;
    b.parameters = b.parameters.filter((p) => p.name !== 'slow');
    b.settings.slippage_bps = 5;
    const rows = diffRows(diffGraphs(a, b)).map((r) => [
      r.change,
      r.what,
      r.name,
      r.before,
      r.after,
    ]);
    expect(rows).toEqual([
      ['added', 'node', 'rsi', '—', 'indicator.rsi'],
      ['removed', 'node', 'sell', 'order.exit_long', '—'],
      ['changed', 'node param', 'fast.period', '$fast', '5'],
      ['added', 'edge', 'close.out → rsi.in', '—', 'wired'],
      ['removed', 'edge', 'death_cross.out → sell.when', 'wired', '—'],
      ['removed', 'parameter', 'slow', rows[5]![3], '—'],
      ['changed', 'setting', 'slippage_bps', '0', '5'],
    ]);
    expect(rows[5]![3]).toContain('"name":"slow"');
  });

  it('finds nothing between one version and itself', () => {
    expect(diffRows(diffGraphs(base(), base()))).toEqual([]);
  });

  it('writes values as a trader reads them', () => {
    expect(diffValue({ $param: 'fast' })).toBe('$fast');
    expect(diffValue(0.001)).toBe('0.001');
    expect(diffValue(undefined)).toBe('—');
    expect(diffValue({ equity_fraction: 1 })).toBe('{"equity_fraction":1}');
  });
});
