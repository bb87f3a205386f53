// A submission's reference run as reviewers see it: headline metrics and the equity curve
// the educator's app shared with the submission.

import type { ReferenceRun } from '../../ipc/types';
import { sparkline } from '../../shared/sparkline';

const HEADLINE: [string, string, string][] = [
  ['trades', 'Trades', ''],
  ['total_return_pct', 'Return', '%'],
  ['max_drawdown_pct', 'Max drawdown', '%'],
  ['sharpe', 'Sharpe', ''],
  ['commissions', 'Commissions', ''],
];

function show(v: number | boolean | null | undefined, unit: string): string {
  if (typeof v !== 'number') return '—';
  return `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`;
}

export function ReferenceRunView({ run }: { run: ReferenceRun }) {
  const path = sparkline(run.equity, 360, 80);
  return (
    <div data-testid="review-reference" style={{ margin: '6px 0' }}>
      <div className="row" style={{ gap: 14, fontSize: 12 }}>
        {HEADLINE.map(([key, label, unit]) => (
          <span key={key}>
            <span className="muted">{label} </span>
            <b>{show(run.metrics[key], unit)}</b>
          </span>
        ))}
      </div>
      {path && (
        <svg
          width={360}
          height={80}
          viewBox="0 0 360 80"
          data-testid="review-reference-equity"
          role="img"
          aria-label="Equity curve of the reference run"
        >
          <polyline points={path} fill="none" stroke="var(--accent)" strokeWidth={1.5} />
        </svg>
      )}
    </div>
  );
}
