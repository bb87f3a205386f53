// The crosshair's arithmetic and texts on a made-up frame.

import { describe, expect, it } from 'vitest';
import type { ChartFrame, ChartView, IndicatorInfo } from '../../ipc/types';
import { fmtBarTime } from '../../common/format';
import {
  columnAt,
  inPlot,
  layoutIndicators,
  markerTip,
  project,
  readout,
  toPicture,
  valueAt,
} from './crosshair';

const DAY = 86_400_000;
// A 200 × 100 picture whose plot spans x 50..150, y 10..90, 10 days and values 0..100.
const frame: ChartFrame = {
  width: 200,
  height: 100,
  left: 50,
  right: 150,
  top: 10,
  bottom: 90,
  x0: 0,
  x1: 10 * DAY,
  y0: 0,
  y1: 100,
};

const view: ChartView = {
  svg: '',
  frame,
  times: Array.from({ length: 100 }, (_, c) => (c < 5 ? null : Math.floor(c / 10) * DAY)),
  series: [{ label: 'Close', values: Array.from({ length: 100 }, (_, c) => c) }],
  markers: [],
  markersOmitted: 0,
};

describe('crosshair', () => {
  it('maps the mouse on a scaled image to picture pixels and columns', () => {
    // The image is shown at half size at (300, 400).
    const p = toPicture(frame, { left: 300, top: 400, width: 100, height: 50 }, 340, 420);
    expect(p).toEqual({ x: 80, y: 40 });
    expect(inPlot(frame, p)).toBe(true);
    expect(inPlot(frame, { x: 20, y: 40 })).toBe(false);
    expect(columnAt(view, 80)).toBe(30);
    expect(columnAt(view, 49)).toBeNull();
    expect(columnAt(view, 150)).toBeNull();
  });

  it('reads values and places points on the axes', () => {
    expect(valueAt(frame, 10)).toBe(100);
    expect(valueAt(frame, 90)).toBe(0);
    expect(valueAt(frame, 50)).toBe(50);
    expect(project(frame, 5 * DAY, 25)).toEqual({ x: 100, y: 70 });
  });

  it('reads out the bar under a column, with dates for daily bars', () => {
    expect(readout(view, 2)).toBeNull();
    expect(readout(view, 30)).toEqual({ time: '1970-01-04', rows: [['Close', '30.00']] });
    expect(fmtBarTime(Date.UTC(2024, 0, 2, 13, 30))).toBe('2024-01-02 13:30 UTC');
  });

  it('describes a trade marker', () => {
    const lines = markerTip({
      trade: 3,
      at: 'exit',
      t: Date.UTC(2024, 0, 5),
      price: 110,
      side: 'long',
      entryTime: Date.UTC(2024, 0, 2),
      exitTime: Date.UTC(2024, 0, 5),
      entryPrice: 100,
      exitPrice: 110,
      pnl: 99.5,
      pnlPct: 9.95,
    });
    expect(lines).toEqual([
      'Trade #3 · long exit',
      'Entry 2024-01-02 at 100.00',
      'Exit 2024-01-05 at 110.00',
      'P&L +99.50 (+9.95%)',
    ]);
  });

  it('lays out indicators as suggested unless the user moved them', () => {
    const list: IndicatorInfo[] = [
      { key: 'fast.out', label: 'fast', kind: 'indicator.sma', overlay: true, levels: [] },
      { key: 'rsi.out', label: 'rsi', kind: 'indicator.rsi', overlay: false, levels: [30, 70] },
    ];
    const auto = layoutIndicators(list, {});
    expect(auto.overlays).toEqual(['fast.out']);
    expect(auto.panes.map((p) => p.key)).toEqual(['rsi.out']);
    const moved = layoutIndicators(list, { 'fast.out': 'pane', 'rsi.out': 'off' });
    expect(moved.overlays).toEqual([]);
    expect(moved.panes.map((p) => p.key)).toEqual(['fast.out']);
  });
});
