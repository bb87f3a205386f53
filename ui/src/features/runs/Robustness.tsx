// A run's robustness: the Probabilistic and Deflated Sharpe ratio with the strategy's trial
// count, warnings with their reasons, and a Monte Carlo of its trades (shuffle or bootstrap)
// with percentile bands and histograms.

import { useEffect, useState } from 'react';
import { api, toIpcError, type MonteCarloMethod } from '../../ipc';
import type { MonteCarloDetail, Robustness } from '../../ipc/types';
import { NumberInput } from '../../common/fields';
import { fmtNum } from '../../common/format';
import { svgDataUrl } from '../../common/svg';

const pct = (v: number | null | undefined) =>
  typeof v === 'number' ? `${fmtNum(v * 100, 1)}%` : '—';

function Svg({ svg, alt, testId }: { svg: string; alt: string; testId: string }) {
  const url = svgDataUrl(svg);
  return url ? <img src={url} alt={alt} data-testid={testId} style={{ maxWidth: '100%' }} /> : null;
}

export function RobustnessPanel({ runId, trades }: { runId: string; trades: number }) {
  const [rob, setRob] = useState<Robustness | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [method, setMethod] = useState<MonteCarloMethod>('shuffle');
  const [runs, setRuns] = useState(1000);
  const [mc, setMc] = useState<MonteCarloDetail | null>(null);
  const [mcError, setMcError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setRob(null);
    setMc(null);
    api
      .runRobustness(runId)
      .then((r) => live && setRob(r))
      .catch((e: unknown) => live && setError(toIpcError(e).message));
    return () => {
      live = false;
    };
  }, [runId]);
  const simulate = async () => {
    setBusy(true);
    setMcError(null);
    try {
      setMc(await api.monteCarlo(runId, method, runs));
    } catch (e) {
      setMcError(toIpcError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 10 }} data-testid="robustness">
      <h3>Robustness</h3>
      {error && <div className="neg">{error}</div>}
      {rob && (
        <div className="grid-cards" data-testid="robustness-cards">
          <div className="metric" title="Probability that the true Sharpe ratio is above zero">
            <div className="label">Probabilistic Sharpe</div>
            <div className="value">{pct(rob.probabilisticSharpe)}</div>
          </div>
          <div
            className="metric"
            title="Probability that the Sharpe ratio beats what the best of the strategy's trials would show by luck"
            data-testid="deflated-sharpe"
          >
            <div className="label">Deflated Sharpe</div>
            <div className={`value ${(rob.deflatedSharpe ?? 1) < 0.95 ? 'neg' : 'pos'}`}>
              {pct(rob.deflatedSharpe)}
            </div>
          </div>
          <div className="metric" title="Every backtest and sweep row of this strategy">
            <div className="label">Trials counted</div>
            <div className="value" data-testid="trials">
              {rob.trials.toLocaleString()}
            </div>
          </div>
        </div>
      )}
      {rob?.note && <div className="muted">{rob.note}</div>}
      {rob && rob.warnings.length > 0 && (
        <div className="card" style={{ padding: 8 }} data-testid="warnings">
          {rob.warnings.map((w) => (
            <div
              key={w.code}
              className="neg"
              style={{ fontSize: 12 }}
              data-testid={`warning-${w.code}`}
            >
              ⚠ {w.message}
            </div>
          ))}
        </div>
      )}
      <div className="row" style={{ gap: 8 }}>
        <b>Monte Carlo</b>
        <select
          className="input"
          value={method}
          onChange={(e) => setMethod(e.target.value as MonteCarloMethod)}
          data-testid="mc-method"
          style={{ width: 'auto' }}
        >
          <option value="shuffle">Shuffle the order</option>
          <option value="bootstrap">Bootstrap (draw with replacement)</option>
        </select>
        <div style={{ width: 100 }}>
          <NumberInput
            value={runs}
            integer
            min={1}
            max={1_000_000}
            onChange={setRuns}
            testId="mc-runs"
          />
        </div>
        <span className="muted">runs of {trades.toLocaleString()} trades</span>
        <button
          className="btn"
          disabled={busy || trades === 0}
          onClick={() => void simulate()}
          data-testid="mc-run"
        >
          {busy ? 'Simulating…' : 'Simulate'}
        </button>
      </div>
      {mcError && <div className="neg">{mcError}</div>}
      {mc && (
        <div data-testid="mc-result" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
          <table className="table" style={{ maxWidth: 640 }}>
            <thead>
              <tr>
                <th />
                {['5%', '25%', 'median', '75%', '95%'].map((h) => (
                  <th key={h} className="num">
                    {h}
                  </th>
                ))}
                <th className="num">actual</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Final equity</td>
                {mc.finalEquity.map((v, i) => (
                  <td key={i} className="num">
                    {fmtNum(v, 0)}
                  </td>
                ))}
                <td className="num">{fmtNum(mc.actualFinal, 0)}</td>
              </tr>
              <tr>
                <td>Max drawdown</td>
                {mc.maxDrawdownPct.map((v, i) => (
                  <td key={i} className="num">
                    {fmtNum(v, 1)}%
                  </td>
                ))}
                <td className="num">{fmtNum(mc.actualMaxDrawdownPct, 1)}%</td>
              </tr>
            </tbody>
          </table>
          <div className="muted" style={{ fontSize: 12 }}>
            {mc.runs.toLocaleString()} {mc.method} runs of {mc.trades.toLocaleString()} trades in{' '}
            {fmtNum(mc.elapsedMs, 0)} ms · {pct(mc.probLoss)} end below the starting cash
          </div>
          <Svg svg={mc.bandsSvg} alt="Equity percentile bands" testId="mc-bands" />
          <div className="row" style={{ gap: 8, alignItems: 'flex-start', flexWrap: 'wrap' }}>
            <Svg svg={mc.finalHistSvg} alt="Final equity histogram" testId="mc-hist-final" />
            <Svg svg={mc.drawdownHistSvg} alt="Max drawdown histogram" testId="mc-hist-drawdown" />
          </div>
        </div>
      )}
    </div>
  );
}
