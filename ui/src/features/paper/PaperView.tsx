// Paper trading: start a run from a strategy version (feed, market, costs, window, catch-up,
// alerts), follow its equity, position, fills and events live, pause, resume, stop, and
// reconcile it with a backtest on the bars it saw.

import { useEffect } from 'react';
import { onBackendEvent } from '../../ipc';
import type { PaperRunDetail } from '../../ipc/types';
import { useDatasets } from '../../common/datasets';
import { fmtDate, fmtNum } from '../../common/format';
import { usePaper } from './store';

function StartForm() {
  const form = usePaper((s) => s.form);
  const strategies = usePaper((s) => s.strategies);
  const versions = usePaper((s) => s.versions);
  const datasets = useDatasets((s) => s.list);
  const { setForm, start } = usePaper.getState();
  useEffect(() => {
    if (!form.datasetId && datasets[0]) void setForm({ datasetId: datasets[0].id });
  }, [datasets, form.datasetId, setForm]);
  const text = (
    key: 'cash' | 'commission' | 'slippageBps' | 'window' | 'symbol' | 'drawdownPct',
  ) => ({
    className: 'input',
    value: form[key],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => void setForm({ [key]: e.target.value }),
  });
  return (
    <div className="card" data-testid="paper-start-form" style={{ marginBottom: 14 }}>
      <h2>Start a paper run</h2>
      <div className="form" style={{ maxWidth: 560 }}>
        <label>Strategy</label>
        <select
          className="input"
          value={form.strategyId}
          onChange={(e) => void setForm({ strategyId: e.target.value })}
          data-testid="paper-strategy"
        >
          {strategies.map((s) => (
            <option key={s.strategy.id} value={s.strategy.id}>
              {s.strategy.title}
            </option>
          ))}
        </select>
        <label>Version</label>
        <select
          className="input"
          value={form.versionId}
          onChange={(e) => void setForm({ versionId: e.target.value })}
          data-testid="paper-version"
        >
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              v{v.version}
            </option>
          ))}
        </select>
        <label>Feed</label>
        <select
          className="input"
          value={form.feed}
          onChange={(e) =>
            void setForm({ feed: e.target.value as 'replay' | 'binance' | 'kraken' })
          }
          data-testid="paper-feed"
        >
          <option value="replay">Replay a dataset</option>
          <option value="binance">Binance spot (public)</option>
          <option value="kraken">Kraken (public)</option>
        </select>
        {form.feed === 'replay' ? (
          <>
            <label>Dataset</label>
            <select
              className="input"
              value={form.datasetId}
              onChange={(e) => void setForm({ datasetId: e.target.value })}
              data-testid="paper-dataset"
            >
              {datasets.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <label>Speed (× real time)</label>
            <input
              className="input"
              type="number"
              value={form.speed}
              onChange={(e) => void setForm({ speed: Number(e.target.value) })}
              data-testid="paper-speed"
            />
          </>
        ) : (
          <>
            <label>Symbol</label>
            <input
              {...text('symbol')}
              placeholder={form.feed === 'binance' ? 'BTCUSDT' : 'XBTUSD'}
            />
            <label>Interval</label>
            <select
              className="input"
              value={form.interval}
              onChange={(e) => void setForm({ interval: e.target.value })}
            >
              {['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </>
        )}
        <label>Cash</label>
        <input {...text('cash')} placeholder="the version's setting" />
        <label>Commission</label>
        <input {...text('commission')} placeholder="fraction, e.g. 0.001" />
        <label>Slippage (bps)</label>
        <input {...text('slippageBps')} placeholder="the version's setting" />
        <label>Window (cron, UTC)</label>
        <input {...text('window')} placeholder="every bar; e.g. * 14-20 * * 1-5" />
        <label>After downtime</label>
        <select
          className="input"
          value={form.catchUp}
          onChange={(e) =>
            void setForm({ catchUp: e.target.value as 'trade' | 'trade_and_flag' | 'pause' })
          }
          data-testid="paper-catch-up"
        >
          <option value="trade">trade late orders</option>
          <option value="trade_and_flag">trade and flag them</option>
          <option value="pause">pause and ask</option>
        </select>
        <label>Alerts</label>
        <span className="row">
          {(['entry', 'exit', 'stop'] as const).map((k) => (
            <label key={k} className="row">
              <input
                type="checkbox"
                checked={form[k]}
                onChange={(e) => void setForm({ [k]: e.target.checked })}
              />
              {k}
            </label>
          ))}
          <input {...text('drawdownPct')} placeholder="drawdown %" style={{ width: 110 }} />
        </span>
      </div>
      <button
        className="btn primary"
        disabled={!form.versionId || (form.feed === 'replay' && !form.datasetId)}
        onClick={() => void start()}
        data-testid="paper-start"
      >
        Start paper run
      </button>
    </div>
  );
}

function EquityLine({ points }: { points: [number, number][] }) {
  if (points.length < 2) return <p className="muted">The equity curve appears after two bars.</p>;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const w = 600;
  const h = 140;
  const d = points
    .map(([x, y], i) => {
      const px = ((x - x0) / (x1 - x0 || 1)) * w;
      const py = h - ((y - y0) / (y1 - y0 || 1)) * h;
      return `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg viewBox={`0 0 ${w} ${h}`} width="100%" height={h} data-testid="paper-equity">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

function Detail({ d }: { d: PaperRunDetail }) {
  const r = d.run;
  const { setStatus, reconcile } = usePaper.getState();
  const rec = usePaper((s) => s.reconciliation) as {
    seen?: {
      identical: boolean;
      bars: number;
      first_difference?: { what: string; cause: string } | null;
    };
  } | null;
  const waits = r.status === 'paused' && (r.statusReason ?? '').startsWith('late order');
  return (
    <div className="card" data-testid="paper-detail">
      <div className="row" style={{ marginBottom: 8 }}>
        <h2 className="grow">{r.name}</h2>
        <span data-testid="paper-status">{r.status}</span>
      </div>
      {r.statusReason && <p className="muted">{r.statusReason}</p>}
      {!r.drivenHere && (
        <p className="muted" data-testid="paper-driven-elsewhere">
          Another device drives this run (the one where it was started or last resumed): it
          processes the bars, and this device shows what sync brings.
        </p>
      )}
      <p className="muted" data-testid="paper-feed-status">
        {r.feed} {r.symbol} {r.interval} · feed: {r.feedStatus ?? 'not polled yet'}
      </p>
      <div className="row" style={{ gap: 18 }}>
        <span>
          Bars <b data-testid="paper-bars">{r.barsProcessed}</b>
        </span>
        <span>
          Fills <b data-testid="paper-fills">{r.fills}</b>
        </span>
        <span>Equity {fmtNum(r.equity ?? r.initialCash)}</span>
        <span>Return {fmtNum(r.returnPct ?? 0)}%</span>
        <span>
          Position{' '}
          {r.position
            ? `${String((r.position as Record<string, unknown>).side)} ${fmtNum((r.position as Record<string, unknown>).units)}`
            : 'flat'}
        </span>
      </div>
      <EquityLine points={d.equity} />
      <div className="row" style={{ gap: 8, margin: '8px 0' }}>
        {r.status === 'running' && (
          <button
            className="btn"
            onClick={() => void setStatus('paused')}
            data-testid="paper-pause"
          >
            Pause
          </button>
        )}
        {(r.status === 'paused' || r.status === 'error') && !waits && (
          <button
            className="btn"
            onClick={() => void setStatus('running')}
            data-testid="paper-resume"
          >
            Resume
          </button>
        )}
        {waits && (
          <>
            <button className="btn" onClick={() => void setStatus('running', 'fill')}>
              Fill the late order
            </button>
            <button className="btn" onClick={() => void setStatus('running', 'skip')}>
              Skip it
            </button>
          </>
        )}
        {r.status !== 'stopped' && (
          <button
            className="btn"
            onClick={() => void setStatus('stopped')}
            data-testid="paper-stop"
          >
            Stop
          </button>
        )}
        <button className="btn" onClick={() => void reconcile()} data-testid="paper-reconcile">
          Reconcile with backtest
        </button>
      </div>
      {rec?.seen && (
        <p data-testid="paper-reconciliation">
          {rec.seen.identical
            ? `Identical to the backtest on the ${rec.seen.bars} bars the run saw, trade by trade.`
            : `First difference: ${rec.seen.first_difference?.what ?? ''} — ${rec.seen.first_difference?.cause ?? ''}`}
        </p>
      )}
      <h3>Fills</h3>
      <table className="table" data-testid="paper-fill-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>Action</th>
            <th>Side</th>
            <th>Units</th>
            <th>Price</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {d.fills
            .slice(-100)
            .reverse()
            .map((f) => (
              <tr key={f.seq} data-testid="paper-fill">
                <td>{f.seq + 1}</td>
                <td>{fmtDate(f.time)}</td>
                <td>
                  {f.action}
                  {f.late ? ' (late)' : ''}
                </td>
                <td>{f.side}</td>
                <td>{fmtNum(f.units)}</td>
                <td>{fmtNum(f.price, 4)}</td>
                <td>{f.reason ?? ''}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <h3>Events</h3>
      <ul className="list">
        {d.events.slice(0, 20).map((e, i) => (
          <li key={i} className="muted">
            {fmtDate(e.at)} · {e.kind}: {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function PaperView() {
  const runs = usePaper((s) => s.runs);
  const selectedId = usePaper((s) => s.selectedId);
  const detail = usePaper((s) => s.detail);
  const { refresh, select, loadChoices } = usePaper.getState();
  useEffect(() => {
    void refresh();
    void loadChoices();
    let stop: (() => void) | null = null;
    void onBackendEvent('paper-changed', () => void usePaper.getState().refresh()).then(
      (f) => (stop = f),
    );
    // Runs also move while no event arrives (a replay's clock): look again every 2 s.
    const timer = window.setInterval(() => void usePaper.getState().refresh(), 2000);
    return () => {
      stop?.();
      window.clearInterval(timer);
    };
  }, [refresh, loadChoices]);
  return (
    <div className="page" data-testid="paper-view">
      <h1>Paper trading</h1>
      <StartForm />
      <div className="row" style={{ alignItems: 'flex-start', gap: 14 }}>
        <ul className="list" style={{ minWidth: 260 }} data-testid="paper-runs">
          {runs.map((r) => (
            <li
              key={r.id}
              className={r.id === selectedId ? 'active' : ''}
              onClick={() => void select(r.id)}
              data-testid="paper-run"
            >
              <b>{r.name}</b>
              <div className="muted">
                {r.status} · {r.barsProcessed} bars · {r.fills} fills
              </div>
            </li>
          ))}
          {runs.length === 0 && <li className="muted">No paper runs yet.</li>}
        </ul>
        <div className="grow">{detail && <Detail d={detail} />}</div>
      </div>
    </div>
  );
}
