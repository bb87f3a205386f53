import { describe, expect, it } from 'vitest';
import { cellAt, defaultAxis, formFor, sweepInput } from './sweep';

const fast = { name: 'fast', type: 'int' as const, default: 10, min: 2, max: 200 };
const slow = { name: 'slow', type: 'int' as const, default: 30, min: 2, max: 400 };
const k = { name: 'k', type: 'float' as const, default: 2 };

describe('sweep form', () => {
  it('ranges around the default within the declared bounds', () => {
    expect(defaultAxis(fast, true)).toEqual({ on: true, start: 5, stop: 20, step: 2 });
    const f = defaultAxis(k, false);
    expect(f.start).toBe(1);
    expect(f.stop).toBe(4);
    expect(f.step).toBeCloseTo(0.33, 5);
  });

  it('sweeps the first two parameters and keeps what the user set', () => {
    const form = formFor([fast, slow, k]);
    expect(Object.values(form.axes).map((a) => a.on)).toEqual([true, true, false]);
    const edited = {
      ...form,
      axes: { ...form.axes, fast: { on: true, start: 3, stop: 9, step: 3 } },
    };
    expect(formFor([fast, slow], edited).axes.fast).toEqual({
      on: true,
      start: 3,
      stop: 9,
      step: 3,
    });
  });

  it('builds the engine input: swept axes, constraints, random draw', () => {
    const form = { ...formFor([fast, slow, k]), constraint: 'fast < slow; ', random: 0 };
    expect(sweepInput(form)).toEqual({
      axes: [
        { name: 'fast', start: 5, stop: 20, step: 2 },
        { name: 'slow', start: 15, stop: 60, step: 5 },
      ],
      random: undefined,
      seed: undefined,
      constraints: ['fast < slow'],
      metric: 'sharpe',
    });
    expect(sweepInput({ ...form, random: 50, seed: 7 })).toMatchObject({ random: 50, seed: 7 });
  });
});

describe('heatmap clicks', () => {
  const h = {
    width: 800,
    plot: { left: 100, top: 50, right: 700, bottom: 350 },
    xValues: [1, 2, 3],
    yValues: [10, 20],
  };
  it('maps a click to its cell, row 0 at the bottom, at any display width', () => {
    expect(cellAt(h, 101, 349, 800)).toEqual({ x: 0, y: 0 });
    expect(cellAt(h, 699, 51, 800)).toEqual({ x: 2, y: 1 });
    // Shown at half size.
    expect(cellAt(h, 300 / 2, 100 / 2, 400)).toEqual({ x: 1, y: 1 });
  });
  it('gives null outside the cells', () => {
    expect(cellAt(h, 50, 100, 800)).toBeNull();
    expect(cellAt(h, 400, 360, 800)).toBeNull();
    expect(cellAt(h, 400, 100, 0)).toBeNull();
  });
});
