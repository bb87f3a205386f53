// A template's reference run as reviewers and students see it: headline metrics, the equity
// curve and the drawdown under the running peak (as the server answers them; an older
// submission may have only the curve the educator's app shared).

import type { ReferenceRun } from '../../ipc/types';
import { sparkline } from '../../common/sparkline';

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

export function ReferenceRunView({
  run,
  testId = 'review-reference',
}: {
  run: ReferenceRun;
  testId?: string;
}) {
  const path = sparkline(run.equity, 360, 80);
  const drawdown = sparkline(run.drawdown, 360, 40);
  return (
    <div data-testid={testId} style={{ margin: '6px 0' }}>
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
          data-testid={`${testId}-equity`}
          role="img"
          aria-label="Equity curve of the reference run"
        >
          <polyline points={path} fill="none" stroke="var(--accent)" strokeWidth={1.5} />
        </svg>
      )}
      {drawdown && (
        <svg
          width={360}
          height={40}
          viewBox="0 0 360 40"
          data-testid={`${testId}-drawdown`}
          role="img"
          aria-label="Drawdown of the reference run below its running peak"
        >
          <polyline points={drawdown} fill="none" stroke="var(--danger)" strokeWidth={1} />
        </svg>
      )}
    </div>
  );
}
