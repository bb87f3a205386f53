// Number and date formatting for metrics, trades and lists.

import type { Metrics, RunCosts } from '../ipc/types';

export interface MetricDef {
  key: keyof Metrics & string;
  label: string;
  unit: '%' | '' | 'days' | '$';
  /** Which way is better (for colouring diffs): `up` when a larger value is better, whatever
   * its sign (a max drawdown of −5% beats −20%). */
  better: 'up' | 'down' | 'none';
}

export const METRICS: MetricDef[] = [
  { key: 'total_return_pct', label: 'Total return', unit: '%', better: 'up' },
  { key: 'cagr_pct', label: 'CAGR', unit: '%', better: 'up' },
  { key: 'buy_hold_return_pct', label: 'Buy & hold', unit: '%', better: 'none' },
  { key: 'max_drawdown_pct', label: 'Max drawdown', unit: '%', better: 'up' },
  { key: 'sharpe', label: 'Sharpe', unit: '', better: 'up' },
  { key: 'sortino', label: 'Sortino', unit: '', better: 'up' },
  { key: 'calmar', label: 'Calmar', unit: '', better: 'up' },
  { key: 'volatility_ann_pct', label: 'Volatility (ann.)', unit: '%', better: 'down' },
  { key: 'trades', label: 'Trades', unit: '', better: 'none' },
  { key: 'win_rate_pct', label: 'Win rate', unit: '%', better: 'up' },
  { key: 'profit_factor', label: 'Profit factor', unit: '', better: 'up' },
  { key: 'avg_trade_pct', label: 'Avg trade', unit: '%', better: 'up' },
  { key: 'best_trade_pct', label: 'Best trade', unit: '%', better: 'up' },
  { key: 'worst_trade_pct', label: 'Worst trade', unit: '%', better: 'up' },
  { key: 'avg_holding_days', label: 'Avg holding', unit: 'days', better: 'none' },
  { key: 'exposure_pct', label: 'Exposure', unit: '%', better: 'none' },
  { key: 'final_equity', label: 'Final equity', unit: '$', better: 'up' },
  { key: 'commissions', label: 'Commissions', unit: '$', better: 'down' },
];

export function fmtNum(v: unknown, digits = 2): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return v.toLocaleString(undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function fmtMetric(def: MetricDef, v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  switch (def.unit) {
    case '%':
      return `${fmtNum(v)}%`;
    case 'days':
      return `${fmtNum(v, 1)} d`;
    case '$':
      return fmtNum(v);
    default:
      return def.key === 'trades' ? String(v) : fmtNum(v);
  }
}

export function fmtDate(v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().slice(0, 10);
}

/** A bar's time: the date alone for daily data (midnight UTC), else date and time (UTC). */
export function fmtBarTime(t: number): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const iso = d.toISOString();
  return t % 86_400_000 === 0 ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export function fmtDateTime(v: string | null | undefined): string {
  if (!v) return '—';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toLocaleString();
}

/** `pos` when `delta` (B − A) is an improvement, `neg` when it is worse, '' when neutral. */
export function diffTone(def: MetricDef, delta: number | null): 'pos' | 'neg' | '' {
  if (delta === null || delta === 0 || !Number.isFinite(delta) || def.better === 'none') return '';
  return delta > 0 === (def.better === 'up') ? 'pos' : 'neg';
}

/** A run's costs in a few words: commission in percent of traded value a side, slippage in
 * basis points; `no costs` when both are zero. */
export function fmtCosts(c: RunCosts | null | undefined): string {
  if (!c) return 'costs unknown';
  if (c.commission === 0 && c.slippageBps === 0) return 'no costs';
  const pct = Number((c.commission * 100).toPrecision(6));
  return `commission ${pct}% · slippage ${Number(c.slippageBps.toPrecision(6))} bps`;
}
