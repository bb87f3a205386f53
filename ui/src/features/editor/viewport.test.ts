// The canvas keeps what it showed when the Problems list takes some of its height.

import { describe, expect, it } from 'vitest';
import { keepInView, type Viewport } from './viewport';

/** The world rectangle a viewport shows on a `w` × `h` canvas. */
const shown = (v: Viewport, w: number, h: number) => ({
  left: -v.x / v.zoom,
  top: -v.y / v.zoom,
  right: (w - v.x) / v.zoom,
  bottom: (h - v.y) / v.zoom,
});

describe('keepInView', () => {
  it('keeps every point that was visible when the canvas gets shorter', () => {
    const v = { x: 40, y: -120, zoom: 1.2 };
    const before = shown(v, 800, 600);
    const after = shown(keepInView(v, 800, 600, 450), 800, 450);
    expect(after.top).toBeCloseTo(before.top);
    expect(after.bottom).toBeCloseTo(before.bottom);
    expect(after.left).toBeLessThanOrEqual(before.left);
    expect(after.right).toBeGreaterThanOrEqual(before.right);
  });

  it('gives the same viewport back when the height returns', () => {
    const v = { x: 40, y: -120, zoom: 1.2 };
    const back = keepInView(keepInView(v, 800, 600, 450), 800, 450, 600);
    expect(back.x).toBeCloseTo(v.x);
    expect(back.y).toBeCloseTo(v.y);
    expect(back.zoom).toBeCloseTo(v.zoom);
  });

  it('leaves the viewport alone without a real change', () => {
    const v = { x: 1, y: 2, zoom: 3 };
    expect(keepInView(v, 800, 600, 600)).toBe(v);
    expect(keepInView(v, 800, 0, 600)).toBe(v);
  });
});
