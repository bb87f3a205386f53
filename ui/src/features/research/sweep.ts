// The sweep form's pure parts: a parameter's default range from its declaration, the
// engine's input from the form, and which heatmap cell a click on the picture lands in.

import type { Heatmap, SweepInput } from '../../ipc/types';
import type { StrategyParameter } from '../../common/runHost';

/** One parameter's row of the form. */
export interface AxisForm {
  on: boolean;
  start: number;
  stop: number;
  step: number;
}

/** The whole form. */
export interface SweepForm {
  axes: Record<string, AxisForm>;
  /** Draw this many combinations at random instead of the whole grid (0 = whole grid). */
  random: number;
  seed: number;
  constraint: string;
  metric: string;
}

/** A range around the declared default: the declared bounds when given, else ×0.5 to ×2. */
export function defaultAxis(p: StrategyParameter, on: boolean): AxisForm {
  const d = p.default;
  const int = p.type === 'int';
  const lo = p.min ?? (d > 0 ? d / 2 : d - 10);
  const hi = p.max ?? (d > 0 ? d * 2 : d + 10);
  const start = int ? Math.round(Math.max(lo, d / 2)) : Math.max(lo, d / 2);
  const stop = int ? Math.round(Math.min(hi, d * 2)) : Math.min(hi, d * 2);
  const span = Math.max(stop - start, 0);
  const raw = span / 9 || 1;
  const step = int ? Math.max(1, Math.round(raw)) : Number(raw.toPrecision(2));
  return { on, start, stop, step };
}

/** The form for `parameters`, keeping what the user set for parameters still declared. The
 * first two are swept by default. */
export function formFor(parameters: StrategyParameter[], old?: SweepForm): SweepForm {
  const axes: Record<string, AxisForm> = {};
  parameters.forEach((p, i) => {
    axes[p.name] = old?.axes[p.name] ?? defaultAxis(p, i < 2);
  });
  return {
    axes,
    random: old?.random ?? 0,
    seed: old?.seed ?? 1,
    constraint: old?.constraint ?? '',
    metric: old?.metric ?? 'sharpe',
  };
}

/** The engine's input for `form`. */
export function sweepInput(form: SweepForm): SweepInput {
  return {
    axes: Object.entries(form.axes)
      .filter(([, a]) => a.on)
      .map(([name, a]) => ({ name, start: a.start, stop: a.stop, step: a.step })),
    random: form.random > 0 ? form.random : undefined,
    seed: form.random > 0 ? form.seed : undefined,
    constraints: form.constraint
      .split(/[,;]/)
      .map((c) => c.trim())
      .filter(Boolean),
    metric: form.metric,
  };
}

/** The cell (`x`, `y` with row 0 at the bottom) under a click at (`px`, `py`) in an image of
 * the heatmap shown `shownWidth` pixels wide; null outside the cells. */
export function cellAt(
  h: Pick<Heatmap, 'plot' | 'width' | 'xValues' | 'yValues'>,
  px: number,
  py: number,
  shownWidth: number,
): { x: number; y: number } | null {
  const scale = shownWidth / h.width;
  if (!(scale > 0)) return null;
  const fx = px / scale;
  const fy = py / scale;
  const { left, top, right, bottom } = h.plot;
  if (fx < left || fx >= right || fy < top || fy >= bottom) return null;
  const x = Math.floor(((fx - left) / (right - left)) * h.xValues.length);
  const y = Math.floor(((bottom - fy) / (bottom - top)) * h.yValues.length);
  if (x < 0 || y < 0 || x >= h.xValues.length || y >= h.yValues.length) return null;
  return { x, y };
}
