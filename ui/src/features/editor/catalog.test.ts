import { describe, expect, it } from 'vitest';
import specs from '../../fixtures/catalog.json';
import type { NodeSpec } from '../../ipc/types';
import { checkConnection, defaultParams, indexCatalog, portFeeds, reaches } from './catalog';

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
