// Results: run history (works offline), one run's metric cards, equity / drawdown / price
// charts with zoom, a sortable trades table that jumps the price chart to a trade, HTML and
// chart export, and a side-by-side comparison of two runs.

import { useEffect, useState } from 'react';
import { pickPath, useApp } from '../../common/app';
import { api, dialogs, toIpcError } from '../../ipc';
import type { ExcursionDto, Metrics, RunBreakdown, RunDetail, Trade } from '../../ipc/types';
import { Chart, type Range } from './Chart';
import { MonthlyReturns, SideSplit } from './Breakdown';
import { RobustnessPanel } from './Robustness';
import { IndicatorPicker, useIndicators } from './Indicators';
import {
  diffTone,
  fmtCosts,
  fmtDate,
  fmtDateTime,
  fmtMetric,
  fmtNum,
  METRICS,
} from '../../common/format';
import { useRuns } from './store';
import { svgDataUrl } from '../../common/svg';
import { diffGraphs, diffRows, type DiffRow } from '../../common/graphDiff';
import { parseGraph } from '../../common/graphDoc';
import { sortTrades, tradeWindow, type TradeKey } from './trades';

const TRADE_COLS: [TradeKey, string, boolean][] = [
  ['entry_time', 'Entry', false],
  ['exit_time', 'Exit', false],
  ['side', 'Side', false],
  ['entry_price', 'Entry price', true],
  ['exit_price', 'Exit price', true],
  ['size', 'Size', true],
  ['pnl', 'P&L', true],
  ['pnl_pct', 'P&L %', true],
  ['bars_held', 'Bars', true],
  ['exit_reason', 'Exit reason', false],
];

/** Trade rows drawn at a time (a long run can have tens of thousands of trades). */
const TRADE_PAGE = 200;

function MetricCards({ metrics }: { metrics: Metrics | null }) {
  return (
    <div data-testid="metrics">
      <div className="grid-cards" data-testid="metric-cards">
        {METRICS.map((m) => {
          const v = metrics?.[m.key];
          const tone =
            typeof v === 'number' &&
            m.unit === '%' &&
            m.better === 'up' &&
            m.key !== 'max_drawdown_pct'
              ? v >= 0
                ? 'pos'
                : 'neg'
              : '';
          return (
            <div key={m.key} className="metric" data-testid={`metric-${m.key}`}>
              <div className="label">{m.label}</div>
              <div className={`value ${tone}`}>{fmtMetric(m, v)}</div>
            </div>
          );
        })}
      </div>
    </div>
  );
}

type Sort = { key: TradeKey; dir: 'asc' | 'desc' };
const TIME_ORDER: Sort = { key: 'entry_time', dir: 'asc' };

function TradesTable({
  runId,
  first,
  total,
  onPick,
  onExplain,
  picked,
  excursions,
}: {
  runId: string;
  /** Run-up and drawdown per trade (by index), once the breakdown is in. */
  excursions: ExcursionDto[] | null;
  /** The first trades in time order, as the run's result carries them. */
  first: Trade[];
  total: number;
  onPick: (t: Trade, i: number) => void;
  onExplain: (t: Trade, i: number) => void;
  picked: number | null;
}) {
  // The backend pages and sorts (over all trades: a long run has tens of thousands).
  const [sort, setSort] = useState<Sort>(TIME_ORDER);
  const [rows, setRows] = useState(() => first.map((t, i) => ({ t, i })));
  const [loading, setLoading] = useState(false);
  const fetchPage = async (s: Sort, offset: number) => {
    const isTime = s.key === TIME_ORDER.key && s.dir === TIME_ORDER.dir;
    const page = await api.runTrades({
      runId,
      offset,
      limit: TRADE_PAGE,
      sortKey: isTime ? undefined : s.key,
      desc: s.dir === 'desc',
    });
    return page.trades.map((t, k) => ({ t, i: page.index[k] ?? offset + k }));
  };
  const load = async (s: Sort, offset: number) => {
    setLoading(true);
    try {
      const page = await fetchPage(s, offset);
      setRows((old) => (offset === 0 ? page : [...old, ...page]));
    } catch (e) {
      useApp.getState().fail(e);
    } finally {
      setLoading(false);
    }
  };
  const sortBy = (k: TradeKey) => {
    const next: Sort = { key: k, dir: sort.key === k && sort.dir === 'asc' ? 'desc' : 'asc' };
    setSort(next);
    if (total <= first.length) {
      // Everything is here already: sort locally.
      const index = new Map(first.map((t, i) => [t, i]));
      setRows(sortTrades(first, next.key, next.dir).map((t) => ({ t, i: index.get(t) ?? 0 })));
    } else {
      void load(next, 0);
    }
  };
  const more = Math.max(0, total - rows.length);
  return (
    <div className="card" style={{ padding: 0, maxHeight: 340, overflow: 'auto' }}>
      <table className="table" data-testid="trades-table">
        <thead>
          <tr>
            <th className="num">#</th>
            {TRADE_COLS.map(([k, label, num]) => (
              <th key={k} className={`sortable ${num ? 'num' : ''}`} onClick={() => sortBy(k)}>
                {label} {sort.key === k ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
              </th>
            ))}
            <th className="num" title="Best move for the trade while open">
              Run-up %
            </th>
            <th className="num" title="Worst move against the trade while open">
              Drawdown %
            </th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map(({ t, i }) => {
            const x = excursions?.[i];
            return (
              <tr
                key={i}
                className={`clickable ${picked === i ? 'selected' : ''}`}
                onClick={() => onPick(t, i)}
                data-testid="trade-row"
                title="Show on the price chart"
              >
                <td className="num muted">{i + 1}</td>
                <td>{fmtDate(t.entry_time)}</td>
                <td>{fmtDate(t.exit_time)}</td>
                <td>{t.side}</td>
                <td className="num">{fmtNum(t.entry_price)}</td>
                <td className="num">{fmtNum(t.exit_price)}</td>
                <td className="num">{fmtNum(t.size, 0)}</td>
                <td className={`num ${t.pnl >= 0 ? 'pos' : 'neg'}`}>{fmtNum(t.pnl)}</td>
                <td className={`num ${t.pnl_pct >= 0 ? 'pos' : 'neg'}`}>{fmtNum(t.pnl_pct)}%</td>
                <td className="num">{t.bars_held}</td>
                <td>{t.exit_reason.replace(/_/g, ' ')}</td>
                <td className="num pos">{x ? fmtNum(x.runUpPct) : ''}</td>
                <td className="num neg">{x ? fmtNum(x.drawdownPct) : ''}</td>
                <td>
                  <button
                    className="btn small"
                    onClick={(e) => {
                      e.stopPropagation();
                      onExplain(t, i);
                    }}
                    title="Show in the editor with the value on every wire at the signal bar"
                    data-testid="trade-explain"
                  >
                    Why?
                  </button>
                </td>
              </tr>
            );
          })}
          {more > 0 && (
            <tr>
              <td colSpan={14} style={{ textAlign: 'center', padding: 8 }}>
                <button
                  className="btn small"
                  disabled={loading}
                  onClick={() => void load(sort, rows.length)}
                  data-testid="trades-more"
                >
                  Show {Math.min(TRADE_PAGE, more)} more of {more} (sorting covers all {total})
                </button>
              </td>
            </tr>
          )}
          {!total && (
            <tr>
              <td colSpan={14} className="muted" style={{ textAlign: 'center', padding: 16 }}>
                No closed trades.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Opens a trade's "why did this trade fire?" view (the editor provides it). */
export type ExplainTrade = (run: RunDetail, trade: Trade, tradeNo: number) => void;

function RunDetailView({ run, onExplain }: { run: RunDetail; onExplain: ExplainTrade }) {
  const [zoom, setZoom] = useState<Range>({});
  const [priceRange, setPriceRange] = useState<Range>({});
  const [picked, setPicked] = useState<number | null>(null);
  const [breakdown, setBreakdown] = useState<RunBreakdown | null>(null);
  const [breakdownError, setBreakdownError] = useState<string | null>(null);
  const ind = useIndicators(run.id);
  useEffect(() => {
    let live = true;
    setBreakdown(null);
    setBreakdownError(null);
    api
      .runBreakdown(run.id)
      .then((b) => live && setBreakdown(b))
      .catch((e: unknown) => live && setBreakdownError(toIpcError(e).message));
    return () => {
      live = false;
    };
  }, [run.id]);
  // What the date boxes show before any zoom: the run's data range.
  const dataRange: Range = {
    from: run.equity[0]?.t,
    to: run.equity[run.equity.length - 1]?.t,
  };
  // The equity chart first, the others once it is in: the result shows sooner.
  const [equityIn, setEquityIn] = useState(false);
  useEffect(() => {
    setZoom({});
    setPriceRange({});
    setPicked(null);
  }, [run.id]);
  const exportHtml = async () => {
    const path = await pickPath(() =>
      dialogs.saveFile('Export report', `run-${run.id.slice(0, 8)}.html`, ['html']),
    );
    if (!path) return;
    try {
      await api.runExportHtml(run.id, path);
      useApp.getState().notify(`Report written to ${path}`);
    } catch (e) {
      useApp.getState().fail(e);
    }
  };
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="run-detail">
      <div className="row">
        <div className="grow">
          <h2>
            {run.strategyTitle ?? 'Run'} · v{run.version}
          </h2>
          <div className="muted" style={{ fontSize: 12 }}>
            {run.dataset
              ? `${run.dataset.name} (${run.dataset.symbol} ${run.dataset.timeframe}, ${fmtDate(run.dataset.first)} → ${fmtDate(run.dataset.last)})`
              : (run.datasetName ?? '')}{' '}
            · {fmtDateTime(run.createdAt)} ·{' '}
            {Object.entries(run.parameters ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'default parameters'}{' '}
            · <span data-testid="run-costs">{fmtCosts(run.costs)}</span>
          </div>
        </div>
        <button className="btn" onClick={() => void exportHtml()} data-testid="export-html">
          Export HTML report
        </button>
      </div>
      <MetricCards metrics={run.metrics} />
      <Chart
        runId={run.id}
        kind="equity"
        title="Equity and buy and hold"
        height={240}
        range={zoom}
        onRange={setZoom}
        dataRange={dataRange}
        onDone={() => setEquityIn(true)}
      />
      <Chart
        runId={run.id}
        kind="drawdown"
        title="Drawdown"
        height={150}
        range={zoom}
        wait={!equityIn}
      />
      <Chart
        runId={run.id}
        kind="price"
        title={picked !== null ? `Price — trade #${picked + 1}` : 'Price with entries and exits'}
        height={300}
        range={priceRange}
        dataRange={dataRange}
        wait={!equityIn}
        indicators={ind.layout.overlays}
        onRange={(r) => {
          setPriceRange(r);
          setPicked(null);
        }}
      />
      <IndicatorPicker list={ind.list} chosen={ind.chosen} error={ind.error} onPlace={ind.place} />
      {ind.layout.panes.map((p) => (
        <Chart
          key={p.key}
          runId={run.id}
          kind="indicator"
          series={p.key}
          title={p.levels.length ? `${p.label} (levels ${p.levels.join(', ')})` : p.label}
          height={160}
          range={priceRange}
          wait={!equityIn}
        />
      ))}
      <h3>
        Trades ({run.tradesTotal}
        {run.openTrade ? ' + 1 open' : ''})
      </h3>
      <TradesTable
        runId={run.id}
        first={run.trades}
        total={run.tradesTotal}
        picked={picked}
        onPick={(t, i) => {
          setPicked(i);
          setPriceRange(tradeWindow(t));
        }}
        onExplain={(t, i) => onExplain(run, t, i + 1)}
        excursions={breakdown?.excursions ?? null}
      />
      <h3>Long and short</h3>
      {breakdown ? (
        <SideSplit b={breakdown} />
      ) : (
        <div className="muted">{breakdownError ?? 'Computing…'}</div>
      )}
      <h3>Monthly returns (%)</h3>
      {breakdown && <MonthlyReturns monthly={breakdown.monthly} />}
      <RobustnessPanel runId={run.id} trades={run.tradesTotal} />
    </div>
  );
}

/** What differs between two runs besides their results: version, data and parameters. */
function IdentityDiff({ a, b }: { a: RunDetail; b: RunDetail }) {
  const names = [...new Set([...Object.keys(a.parameters), ...Object.keys(b.parameters)])].sort();
  const rows: [string, string, string][] = [
    ['Strategy version', `v${a.version}`, `v${b.version}`],
    ['Dataset', a.datasetName ?? '—', b.datasetName ?? '—'],
    ['Costs', fmtCosts(a.costs), fmtCosts(b.costs)],
    ...names.map((n): [string, string, string] => [
      `$${n}`,
      String(a.parameters[n] ?? '—'),
      String(b.parameters[n] ?? '—'),
    ]),
  ];
  return (
    <div className="card" style={{ padding: 0 }} data-testid="compare-identity">
      <table className="table">
        <thead>
          <tr>
            <th>What was run</th>
            <th className="num">A (older)</th>
            <th className="num">B</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, x, y]) => (
            <tr key={k} className={x !== y ? 'changed' : ''} data-testid="identity-row">
              <td>{k}</td>
              <td className="num">{x}</td>
              <td className={`num ${x !== y ? 'warn-text' : ''}`}>{y}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What changed in the strategy's graph between the two runs' versions: nodes, their
 * params, wires, parameters and settings, as added / removed / changed rows. */
function GraphDiffCard({ a, b }: { a: RunDetail; b: RunDetail }) {
  const [rows, setRows] = useState<DiffRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all([api.versionGet(a.strategyId, a.version), api.versionGet(b.strategyId, b.version)])
      .then(([va, vb]) => {
        if (live) setRows(diffRows(diffGraphs(parseGraph(va.graph), parseGraph(vb.graph))));
      })
      .catch((e: unknown) => live && setError(toIpcError(e).message));
    return () => {
      live = false;
    };
  }, [a.strategyId, a.version, b.strategyId, b.version]);
  const title =
    a.strategyId === b.strategyId
      ? `Graph changes, v${a.version} → v${b.version}`
      : `Graph changes, ${a.strategyTitle} v${a.version} → ${b.strategyTitle} v${b.version}`;
  return (
    <div className="card" style={{ padding: 0 }} data-testid="compare-graph-diff">
      <div className="row" style={{ padding: '6px 8px' }}>
        <b className="grow">{title}</b>
        {rows && (
          <span className="muted" data-testid="graph-diff-count">
            {rows.length ? `${rows.length} change${rows.length === 1 ? '' : 's'}` : 'no change'}
          </span>
        )}
      </div>
      {error ? (
        <div className="muted" style={{ padding: 8 }}>
          The versions could not be read: {error}
        </div>
      ) : !rows ? (
        <div className="muted" style={{ padding: 8 }}>
          Reading both versions…
        </div>
      ) : rows.length === 0 ? (
        <div className="muted" style={{ padding: 8 }}>
          Both runs used the same graph: only their parameters, data or costs differ.
        </div>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Change</th>
              <th>What</th>
              <th>Name</th>
              <th className="num">A</th>
              <th className="num">B</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} data-testid="graph-diff-row" data-change={r.change} data-what={r.what}>
                <td className={`diff-${r.change}`}>{r.change}</td>
                <td>{r.what}</td>
                <td className="mono">{r.name}</td>
                <td className="num mono">{r.before}</td>
                <td className="num mono">{r.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CompareView() {
  const compare = useRuns((s) => s.compare);
  if (!compare) return null;
  const name = (r: RunDetail) => `v${r.version} · ${fmtDateTime(r.createdAt)}`;
  const url = compare.data.equitySvg ? svgDataUrl(compare.data.equitySvg) : null;
  const diffs = new Map(compare.data.diff.map((d) => [d.name, d]));
  const metricsA = compare.data.a.metrics ?? {};
  const metricsB = compare.data.b.metrics ?? {};
  return (
    <div data-testid="compare">
      <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="compare-view">
        <div className="row">
          <h2 className="grow">Compare runs</h2>
          <button className="btn" onClick={() => useRuns.setState({ compare: null })}>
            Close
          </button>
        </div>
        <div className="chart">
          <div className="bar">
            <b>Equity, overlaid</b>
          </div>
          {url ? (
            <img src={url} alt="Equity of both runs" data-testid="compare-chart" />
          ) : (
            <div className="muted" style={{ padding: 20 }}>
              The comparison chart could not be drawn.
            </div>
          )}
        </div>
        <IdentityDiff a={compare.data.a} b={compare.data.b} />
        <GraphDiffCard a={compare.data.a} b={compare.data.b} />
        <div className="card" style={{ padding: 0 }}>
          <table className="table">
            <thead>
              <tr>
                <th>Metric</th>
                <th className="num">A: {name(compare.data.a)}</th>
                <th className="num">B: {name(compare.data.b)}</th>
                <th className="num">B − A</th>
              </tr>
            </thead>
            <tbody>
              {METRICS.map((m) => {
                const a = metricsA[m.key];
                const b = metricsB[m.key];
                const d =
                  diffs.get(m.key)?.delta ??
                  (typeof a === 'number' && typeof b === 'number' ? b - a : null);
                const good = diffTone(m, d);
                return (
                  <tr key={m.key} data-testid="metric-diff" data-metric={m.key}>
                    <td>{m.label}</td>
                    <td className="num">{fmtMetric(m, a)}</td>
                    <td className="num">{fmtMetric(m, b)}</td>
                    <td className={`num ${good}`}>
                      {d === null ? '—' : `${d > 0 ? '+' : ''}${fmtMetric(m, d)}`}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

export function ResultsView({ onExplain }: { onExplain: ExplainTrade }) {
  const history = useRuns((s) => s.history);
  const current = useRuns((s) => s.current);
  const compare = useRuns((s) => s.compare);
  const strategy = useApp((s) => s.strategy);
  const [onlyThis, setOnlyThis] = useState(true);
  const [pick, setPick] = useState<string[]>([]);
  const runs = useRuns.getState();
  useEffect(() => {
    void useRuns.getState().loadHistory(onlyThis ? strategy?.id : undefined);
  }, [onlyThis, strategy?.id]);
  return (
    <div
      style={{ display: 'grid', gridTemplateColumns: '300px 1fr', height: '100%', minHeight: 0 }}
      data-testid="results-view"
    >
      <aside className="side" style={{ borderLeft: 0, borderRight: '1px solid var(--border)' }}>
        <div
          className="row"
          style={{ padding: '8px 10px', borderBottom: '1px solid var(--border)' }}
        >
          <h2 className="grow">Run history</h2>
          <span data-testid="compare-button">
            <button
              className="btn small"
              disabled={pick.length !== 2}
              onClick={() => void runs.compareRuns(pick[0]!, pick[1]!)}
              data-testid="runs-compare"
            >
              Compare
            </button>
          </span>
        </div>
        <label className="row muted" style={{ padding: '6px 10px', fontSize: 12 }}>
          <input
            type="checkbox"
            checked={onlyThis}
            onChange={(e) => setOnlyThis(e.target.checked)}
            disabled={!strategy}
          />
          Only {strategy ? `“${strategy.title}”` : 'the open strategy'}
        </label>
        <div style={{ overflow: 'auto', flex: 1 }} data-testid="history">
          {history.map((r) => {
            const ret = r.metrics?.total_return_pct;
            return (
              <div key={r.id} data-testid="run-item" data-run-id={r.id}>
                <div
                  className="list-row"
                  data-testid="run-row"
                  style={
                    current?.id === r.id && !compare ? { background: 'var(--panel-2)' } : undefined
                  }
                >
                  <input
                    type="checkbox"
                    checked={pick.includes(r.id)}
                    onChange={() =>
                      setPick((p) =>
                        p.includes(r.id) ? p.filter((x) => x !== r.id) : [...p.slice(-1), r.id],
                      )
                    }
                  />
                  <div
                    className="grow"
                    style={{ cursor: 'pointer' }}
                    onClick={() => {
                      useRuns.setState({ compare: null });
                      void runs.openRun(r.id);
                    }}
                  >
                    <div className="row">
                      <b
                        className="grow"
                        style={{
                          overflow: 'hidden',
                          textOverflow: 'ellipsis',
                          whiteSpace: 'nowrap',
                        }}
                      >
                        {r.strategyTitle ?? 'Run'} v{r.version}
                      </b>
                      <span
                        className={typeof ret === 'number' ? (ret >= 0 ? 'pos' : 'neg') : 'muted'}
                      >
                        {typeof ret === 'number' ? `${fmtNum(ret)}%` : r.status}
                      </span>
                    </div>
                    <div className="muted" style={{ fontSize: 11 }} data-testid="run-identity">
                      {fmtDateTime(r.createdAt)} · {r.datasetName ?? ''}
                      {Object.keys(r.parameters ?? {}).length > 0 &&
                        ` · ${Object.entries(r.parameters)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(' ')}`}
                      {' · '}
                      <span data-testid="run-row-costs">{fmtCosts(r.costs)}</span>
                    </div>
                  </div>
                  <button
                    className="btn small danger"
                    title="Delete run"
                    onClick={async () => {
                      if (await dialogs.confirm('Delete this run?')) void runs.deleteRun(r.id);
                    }}
                  >
                    ✕
                  </button>
                </div>
              </div>
            );
          })}
          {!history.length && (
            <div className="muted" style={{ padding: 12 }}>
              No runs yet. Open a strategy and press Run.
            </div>
          )}
        </div>
      </aside>
      <div className="page" key={compare ? `c${compare.a}${compare.b}` : (current?.id ?? 'none')}>
        {compare ? (
          <CompareView />
        ) : current ? (
          <RunDetailView run={current} onExplain={onExplain} />
        ) : (
          <div className="muted">
            Pick a run on the left, or run a backtest from the editor (Ctrl+Enter).
          </div>
        )}
      </div>
    </div>
  );
}
