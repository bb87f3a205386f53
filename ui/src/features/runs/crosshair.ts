// What the crosshair and the trade tooltips of a chart show: the mouse turned into a pixel
// column of the plot (the backend sends the values under each column), a value on the y
// axis, where each trade marker sits, and the text of the read-out and the tooltips.

import type { ChartFrame, ChartMarker, ChartView, IndicatorInfo } from '../../ipc/types';
import { fmtBarTime, fmtNum } from '../../common/format';

/** A point in the picture's own pixels (the frame's coordinates). */
export interface Px {
  x: number;
  y: number;
}

/** The mouse at `(clientX, clientY)` over an image drawn in `rect`, in picture pixels. */
export function toPicture(
  frame: ChartFrame,
  rect: { left: number; top: number; width: number; height: number },
  clientX: number,
  clientY: number,
): Px {
  const sx = rect.width > 0 ? frame.width / rect.width : 1;
  const sy = rect.height > 0 ? frame.height / rect.height : 1;
  return { x: (clientX - rect.left) * sx, y: (clientY - rect.top) * sy };
}

/** True when `p` lies inside the plot. */
export function inPlot(frame: ChartFrame, p: Px): boolean {
  return p.x >= frame.left && p.x < frame.right && p.y >= frame.top && p.y <= frame.bottom;
}

/** The pixel column of the plot under `x` (an index into `times` and each series' values). */
export function columnAt(view: ChartView, x: number): number | null {
  const c = Math.floor(x - view.frame.left);
  return c >= 0 && c < view.times.length ? c : null;
}

/** The y-axis value at picture row `y`. */
export function valueAt(frame: ChartFrame, y: number): number {
  const h = frame.bottom - frame.top;
  if (h <= 0) return frame.y0;
  return frame.y1 - ((y - frame.top) / h) * (frame.y1 - frame.y0);
}

/** Where a time and value are drawn, in picture pixels. */
export function project(frame: ChartFrame, t: number, v: number): Px {
  const w = frame.right - frame.left;
  const h = frame.bottom - frame.top;
  const xs = frame.x1 - frame.x0 || 1;
  const ys = frame.y1 - frame.y0 || 1;
  return {
    x: frame.left + ((t - frame.x0) / xs) * w,
    y: frame.bottom - ((v - frame.y0) / ys) * h,
  };
}

/** The crosshair's read-out at column `c`: the bar's time and each series' value. */
export function readout(
  view: ChartView,
  c: number,
): { time: string; rows: [string, string][] } | null {
  const t = view.times[c];
  if (t === null || t === undefined) return null;
  return {
    time: fmtBarTime(t),
    rows: view.series.map((s) => [s.label, fmtNum(s.values[c] ?? null)]),
  };
}

/** The lines of a trade marker's tooltip. */
export function markerTip(m: ChartMarker): string[] {
  const sign = m.pnl > 0 ? '+' : '';
  return [
    `Trade #${m.trade} · ${m.side} ${m.at}`,
    `Entry ${fmtBarTime(m.entryTime)} at ${fmtNum(m.entryPrice)}`,
    m.exitTime === null || m.exitPrice === null
      ? 'Still open'
      : `Exit ${fmtBarTime(m.exitTime)} at ${fmtNum(m.exitPrice)}`,
    `P&L ${sign}${fmtNum(m.pnl)} (${sign}${fmtNum(m.pnlPct)}%)`,
  ];
}

/** Where a node output is drawn: over the prices, in a pane below, or not at all. */
export type Placement = 'overlay' | 'pane' | 'off';

/** The outputs over the prices and the panes below them, given the user's choices (an
 * output not chosen goes where the backend suggests). */
export function layoutIndicators(
  list: IndicatorInfo[],
  chosen: Record<string, Placement>,
): { overlays: string[]; panes: IndicatorInfo[] } {
  const place = (i: IndicatorInfo): Placement => chosen[i.key] ?? (i.overlay ? 'overlay' : 'pane');
  return {
    overlays: list.filter((i) => place(i) === 'overlay').map((i) => i.key),
    panes: list.filter((i) => place(i) === 'pane'),
  };
}

/** Where each output is now placed. */
export function placementOf(i: IndicatorInfo, chosen: Record<string, Placement>): Placement {
  return chosen[i.key] ?? (i.overlay ? 'overlay' : 'pane');
}
