import { describe, expect, it } from 'vitest';
import { fromMinimap, minimapFrame, toMinimap } from './minimap';

describe('minimap frame', () => {
  const nodes = { x: 0, y: 0, width: 6000, height: 2800 };
  const view = { x: 1000, y: 500, width: 800, height: 600 };

  it('shows all nodes and the view, centred, with a 5 px margin on the tighter side', () => {
    const f = minimapFrame(nodes, view, 200, 150);
    expect(f.width / f.height).toBeCloseTo(200 / 150);
    // 6000 flow units wide fill the 190 px inside the margins.
    expect(f.scale).toBeCloseTo(6000 / 190);
    const topLeft = toMinimap(f, { x: 0, y: 0 });
    const bottomRight = toMinimap(f, { x: 6000, y: 2800 });
    expect(topLeft.x).toBeCloseTo(5);
    expect(bottomRight.x).toBeCloseTo(195);
    expect(topLeft.y + bottomRight.y).toBeCloseTo(150); // centred vertically
  });

  it('includes a view outside the nodes', () => {
    const far = { x: -4000, y: 9000, width: 1000, height: 1000 };
    const f = minimapFrame(nodes, far, 200, 150);
    for (const p of [
      { x: -4000, y: 0 },
      { x: 6000, y: 10000 },
    ]) {
      const m = toMinimap(f, p);
      expect(m.x).toBeGreaterThanOrEqual(0);
      expect(m.x).toBeLessThanOrEqual(200);
      expect(m.y).toBeGreaterThanOrEqual(0);
      expect(m.y).toBeLessThanOrEqual(150);
    }
  });

  it('frames the view alone when there are no nodes', () => {
    const f = minimapFrame(null, view, 200, 150);
    const c = fromMinimap(f, { x: 100, y: 75 });
    expect(c.x).toBeCloseTo(view.x + view.width / 2);
    expect(c.y).toBeCloseTo(view.y + view.height / 2);
  });

  it('maps minimap pixels back to the flow points they show', () => {
    const f = minimapFrame(nodes, view, 200, 150);
    const p = { x: 1234, y: 567 };
    const back = fromMinimap(f, toMinimap(f, p));
    expect(back.x).toBeCloseTo(p.x);
    expect(back.y).toBeCloseTo(p.y);
  });
});
