import { describe, expect, it } from 'vitest';
import { tidyLayout } from './layout';

describe('tidy layout', () => {
  it('spreads an unwired graph over a grid instead of one column', () => {
    const nodes = Array.from({ length: 9 }, (_, i) => ({ id: `n${i}` }));
    const pos = tidyLayout(nodes, []);
    const xs = new Set([...pos.values()].map((p) => p.x));
    const ys = new Set([...pos.values()].map((p) => p.y));
    expect(pos.size).toBe(9);
    expect(xs.size).toBe(3);
    expect(ys.size).toBe(3);
  });

  it('lays wired nodes left to right and puts loose ones below them', () => {
    const pos = tidyLayout(
      [{ id: 'a' }, { id: 'b' }, { id: 'loose' }],
      [{ source: 'a', target: 'b' }],
    );
    const [a, b, loose] = ['a', 'b', 'loose'].map((id) => pos.get(id)!);
    expect(b!.x).toBeGreaterThan(a!.x);
    expect(loose!.y).toBeGreaterThan(Math.max(a!.y, b!.y) + 90);
  });
});
