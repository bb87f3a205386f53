// A run broken down as a strategy tester shows it: long and short trades apart, and the
// return of every month (years down, months across, the year's compounded return at the end).

import type { MonthReturnDto, RunBreakdown, SideStatsDto } from '../../ipc/types';
import { fmtNum } from '../../common/format';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function tone(v: number | null | undefined): string {
  return typeof v === 'number' ? (v >= 0 ? 'pos' : 'neg') : '';
}

export function SideSplit({ b }: { b: RunBreakdown }) {
  const cols: [string, SideStatsDto][] = [
    ['All', b.all],
    ['Long', b.long],
    ['Short', b.short],
  ];
  const rows: [string, (s: SideStatsDto) => string, (s: SideStatsDto) => string][] = [
    ['Trades', (s) => String(s.trades), () => ''],
    ['Net profit', (s) => fmtNum(s.netPnl), (s) => tone(s.netPnl)],
    ['Gross profit', (s) => fmtNum(s.grossProfit), () => ''],
    ['Gross loss', (s) => fmtNum(s.grossLoss), () => ''],
    ['Win rate', (s) => (s.winRatePct === null ? '—' : `${fmtNum(s.winRatePct, 1)}%`), () => ''],
    ['Profit factor', (s) => fmtNum(s.profitFactor), () => ''],
    [
      'Avg trade',
      (s) => (s.avgTradePct === null ? '—' : `${fmtNum(s.avgTradePct)}%`),
      (s) => tone(s.avgTradePct),
    ],
  ];
  return (
    <div className="card" style={{ padding: 0 }}>
      <table className="table" data-testid="side-split">
        <thead>
          <tr>
            <th />
            {cols.map(([label]) => (
              <th key={label} className="num">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, value, cls]) => (
            <tr key={label}>
              <td>{label}</td>
              {cols.map(([c, s]) => (
                <td key={c} className={`num ${cls(s)}`}>
                  {value(s)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MonthlyReturns({ monthly }: { monthly: MonthReturnDto[] }) {
  const years = [...new Set(monthly.map((m) => m.year))].sort((a, b) => a - b);
  const at = new Map(monthly.map((m) => [`${m.year}-${m.month}`, m.returnPct]));
  return (
    <div className="card" style={{ padding: 0, overflow: 'auto', maxHeight: 320 }}>
      <table className="table" data-testid="monthly-returns">
        <thead>
          <tr>
            <th>Year</th>
            {MONTHS.map((m) => (
              <th key={m} className="num">
                {m}
              </th>
            ))}
            <th className="num">Year</th>
          </tr>
        </thead>
        <tbody>
          {years.map((y) => {
            const months = MONTHS.map((_, i) => at.get(`${y}-${i + 1}`));
            const year =
              (months.reduce<number>((acc, v) => acc * (1 + (v ?? 0) / 100), 1) - 1) * 100;
            return (
              <tr key={y}>
                <td>{y}</td>
                {months.map((v, i) => (
                  <td key={i} className={`num ${tone(v)}`}>
                    {v === undefined ? '' : fmtNum(v, 1)}
                  </td>
                ))}
                <td className={`num ${tone(year)}`}>
                  <b>{fmtNum(year, 1)}</b>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
