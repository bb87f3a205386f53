import { describe, expect, it } from 'vitest';
import specs from '../../fixtures/catalog.json';
import type { NodeSpec } from '../../ipc/types';
import {
  CATEGORY_ORDER,
  checkConnection,
  defaultParams,
  indexCatalog,
  portFeeds,
  reaches,
} from './catalog';
import { filterCatalog } from './Palette';

const catalog = indexCatalog(specs as NodeSpec[]);
const kinds: Record<string, string> = {
  c: 'source.close',
  k: 'source.constant',
  s: 'indicator.sma',
  x: 'signal.cross_above',
  b: 'order.enter_long',
  m: 'math.add',
};
const kindOf = (id: string) => kinds[id];

describe('catalog helpers', () => {
  it('lets scalars feed numbers, nothing else across types', () => {
    expect(portFeeds('scalar', 'number')).toBe(true);
    expect(portFeeds('number', 'scalar')).toBe(false);
    expect(portFeeds('number', 'bool')).toBe(false);
    expect(portFeeds('bool', 'bool')).toBe(true);
  });

  it('refuses type mismatches, self loops and cycles', () => {
    const ok = (
      source: string,
      sh: string,
      target: string,
      th: string,
      edges: { source: string; target: string }[] = [],
    ) =>
      checkConnection(catalog, kindOf, edges, {
        source,
        sourceHandle: sh,
        target,
        targetHandle: th,
      }).ok;
    expect(ok('c', 'out', 's', 'in')).toBe(true);
    expect(ok('k', 'out', 'm', 'a')).toBe(true);
    expect(ok('c', 'out', 'b', 'when')).toBe(false);
    expect(ok('x', 'out', 'b', 'when')).toBe(true);
    expect(ok('m', 'out', 'm', 'a')).toBe(false);
    // s → m exists, so m → s closes a cycle.
    expect(ok('m', 'out', 's', 'in', [{ source: 's', target: 'm' }])).toBe(false);
    expect(
      reaches(
        [
          { source: 'a', target: 'b' },
          { source: 'b', target: 'c' },
        ],
        'a',
        'c',
      ),
    ).toBe(true);
  });

  it('fills default params from the catalog', () => {
    expect(defaultParams(catalog.get('indicator.sma')!)).toEqual({ period: 20 });
    expect(defaultParams(catalog.get('source.param')!)).toEqual({});
  });
});

describe('palette search and groups', () => {
  const all = specs as NodeSpec[];
  it('groups every kind under a known category, in palette order', () => {
    expect(all.length).toBeGreaterThanOrEqual(80);
    for (const s of all) expect(CATEGORY_ORDER).toContain(s.category);
    for (const c of CATEGORY_ORDER) expect(all.some((s) => s.category === c)).toBe(true);
  });

  it('finds nodes by words of their help, formula and reference', () => {
    const kinds = (q: string) => filterCatalog(all, q).map((s) => s.kind);
    expect(kinds('wilder')).toEqual(
      expect.arrayContaining(['indicator.rsi', 'indicator.adx', 'indicator.sar']),
    );
    expect(kinds('engulf')).toEqual(['pattern.engulfing']);
    // Every word must match: a formula term and a group name together.
    expect(kinds('weekly close')).toContain('timeframe.bar');
    expect(kinds('TA-Lib CDLHAMMER')).toEqual(['pattern.hammer']);
    expect(kinds('position state entry')).toEqual(expect.arrayContaining(['position.entry_price']));
    expect(kinds('no such node anywhere')).toEqual([]);
    expect(kinds('  ')).toHaveLength(all.length);
  });
});
