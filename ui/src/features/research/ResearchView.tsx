// Research results: stored sweeps of the open strategy (offline), one sweep's heatmap (click
// a cell to run that combination in full), its parameter stability and PBO, its rows sorted
// by any metric, and the last walk-forward (windows, chosen parameters, stitched equity).

import { useEffect, useRef, useState } from 'react';
import type { SweepSummary } from '../../ipc/types';
import { useApp } from '../../common/app';
import { fmtDateTime, fmtMetric, fmtNum, METRICS } from '../../common/format';
import { svgDataUrl } from '../../common/svg';
import { ClusterSweeps } from './ClusterPanel';
import { cellAt } from './sweep';
import { useResearch } from './store';

/** Runs one combination of a sweep in full (the app does it with the runs feature). */
export type RunCombination = (sweep: SweepSummary, params: Record<string, number>) => void;

const metricDef = (key: string) =>
  METRICS.find((m) => m.key === key) ?? {
    key,
    label: key,
    unit: '' as const,
    better: 'up' as const,
  };

function Warnings({ list }: { list: { code: string; message: string }[] }) {
  if (!list.length) return null;
  return (
    <div className="card" style={{ padding: 8 }} data-testid="warnings">
      {list.map((w) => (
        <div
          key={w.code}
          className="neg"
          data-testid={`warning-${w.code}`}
          style={{ fontSize: 12 }}
        >
          ⚠ {w.message}
        </div>
      ))}
    </div>
  );
}

function HeatmapPanel({ sweep, onRun }: { sweep: SweepSummary; onRun: RunCombination }) {
  const heatmap = useResearch((s) => s.heatmap);
  const axes = useResearch((s) => s.heatmapAxes);
  const error = useResearch((s) => s.heatmapError);
  const img = useRef<HTMLImageElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const names = sweep.axes.map((a) => a.name);
  if (names.length < 2) {
    return <div className="muted">A heatmap needs two swept parameters.</div>;
  }
  const url = heatmap ? svgDataUrl(heatmap.svg) : null;
  const pick = (e: React.MouseEvent<HTMLImageElement>, run: boolean) => {
    if (!heatmap || !img.current) return;
    const r = img.current.getBoundingClientRect();
    const c = cellAt(heatmap, e.clientX - r.left, e.clientY - r.top, r.width);
    const cell = c && heatmap.cells[c.y * heatmap.xValues.length + c.x];
    if (!c || !cell) {
      setHover(null);
      return;
    }
    const text = `${heatmap.xName}=${heatmap.xValues[c.x]}, ${heatmap.yName}=${heatmap.yValues[c.y]}: ${fmtMetric(metricDef(heatmap.metric), cell.value)}`;
    if (run) onRun(sweep, cell.params);
    else setHover(text);
  };
  const set = (patch: Partial<{ x: string; y: string; metric: string }>) =>
    axes && void useResearch.getState().loadHeatmap({ ...axes, ...patch });
  const st = heatmap?.stability;
  return (
    <div className="chart" data-testid="sweep-heatmap-panel">
      <div className="bar">
        <b className="grow">Heatmap</b>
        {axes && (
          <>
            <select className="input" value={axes.x} onChange={(e) => set({ x: e.target.value })}>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            <span className="muted">×</span>
            <select className="input" value={axes.y} onChange={(e) => set({ y: e.target.value })}>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            <select
              className="input"
              value={axes.metric}
              onChange={(e) => set({ metric: e.target.value })}
              data-testid="heatmap-metric"
            >
              {METRICS.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.label}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      {url ? (
        <img
          ref={img}
          src={url}
          alt="Parameter heatmap"
          style={{ cursor: 'crosshair', maxWidth: '100%' }}
          onMouseMove={(e) => pick(e, false)}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => pick(e, true)}
          data-testid="sweep-heatmap"
        />
      ) : (
        <div className="muted" style={{ padding: 20 }}>
          {error ?? 'Rendering…'}
        </div>
      )}
      <div
        className="muted"
        style={{ fontSize: 12, padding: '4px 8px' }}
        data-testid="heatmap-hover"
      >
        {hover ?? 'Click a cell to run that combination in full.'}
      </div>
      {st && heatmap && (
        <div style={{ fontSize: 12, padding: '0 8px 8px' }} data-testid="heatmap-stability">
          Best cell {heatmap.xName}={heatmap.xValues[st.x]}, {heatmap.yName}={heatmap.yValues[st.y]}
          : {fmtNum(st.value)}; its {st.neighbours} neighbours average {fmtNum(st.neighbourMean)}{' '}
          (lowest {fmtNum(st.neighbourMin)}), a drop of {fmtNum(st.dropPct, 0)}% —{' '}
          <b className={st.plateau ? 'pos' : 'neg'}>
            {st.plateau ? 'a plateau' : 'a lone peak: likely fitted to noise'}
          </b>
          .
        </div>
      )}
    </div>
  );
}

function RowsTable({ sweep, onRun }: { sweep: SweepSummary; onRun: RunCombination }) {
  const rows = useResearch((s) => s.rows);
  const sort = useResearch((s) => s.sort);
  const names = sweep.axes.map((a) => a.name);
  const cols = [
    'sharpe',
    'total_return_pct',
    'max_drawdown_pct',
    'trades',
    'win_rate_pct',
    'profit_factor',
  ];
  if (!cols.includes(sweep.metric)) cols.unshift(sweep.metric);
  const sortBy = (metric: string) =>
    void useResearch
      .getState()
      .loadRows({ metric, asc: sort.metric === metric ? !sort.asc : false });
  return (
    <div className="card" style={{ padding: 0, maxHeight: 360, overflow: 'auto' }}>
      <table className="table" data-testid="sweep-rows">
        <thead>
          <tr>
            {names.map((n) => (
              <th key={n} className="num mono">
                {n}
              </th>
            ))}
            {cols.map((c) => (
              <th key={c} className="num sortable" onClick={() => sortBy(c)}>
                {metricDef(c).label} {sort.metric === c ? (sort.asc ? '▲' : '▼') : ''}
              </th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {rows?.rows.map((r) => (
            <tr key={r.index} data-testid="sweep-row">
              {names.map((n) => (
                <td key={n} className="num">
                  {r.params[n]}
                </td>
              ))}
              {cols.map((c) => (
                <td key={c} className="num">
                  {fmtMetric(metricDef(c), (r.metrics as Record<string, unknown>)[c])}
                </td>
              ))}
              <td>
                <button className="btn small" onClick={() => onRun(sweep, r.params)}>
                  Run
                </button>
              </td>
            </tr>
          ))}
          {rows && rows.rows.length < rows.total && (
            <tr>
              <td colSpan={names.length + cols.length + 1} style={{ textAlign: 'center' }}>
                <button
                  className="btn small"
                  onClick={() => void useResearch.getState().loadRows(undefined, rows.rows.length)}
                >
                  Show more of {rows.total.toLocaleString()}
                </button>
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function SweepDetail({ sweep, onRun }: { sweep: SweepSummary; onRun: RunCombination }) {
  const pbo = sweep.pbo;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="sweep-detail">
      <div>
        <h2>
          Sweep of {sweep.strategyTitle} v{sweep.version}
        </h2>
        <div className="muted" style={{ fontSize: 12 }}>
          {sweep.axes
            .map(
              (a) =>
                `${a.name}: ${a.values[0]}…${a.values[a.values.length - 1]} (${a.values.length})`,
            )
            .join(' · ')}
          {sweep.constraints.length ? ` · where ${sweep.constraints.join(', ')}` : ''}
          {sweep.random ? ` · random ${sweep.random}` : ''} · {sweep.datasetName ?? sweep.datasetId}{' '}
          <span className="mono" title="data hash">
            #{sweep.dataHash.slice(0, 10)}
          </span>{' '}
          · {fmtDateTime(sweep.createdAt)}
        </div>
        <div style={{ fontSize: 13, marginTop: 4 }} data-testid="sweep-stats">
          {sweep.rows.toLocaleString()} of {sweep.total.toLocaleString()} combinations
          {sweep.status === 'cancelled' ? ' (cancelled)' : ''}
          {sweep.elapsedMs !== null ? ` in ${fmtNum(sweep.elapsedMs / 1000, 1)} s` : ''} · ranked by{' '}
          {metricDef(sweep.metric).label}
        </div>
      </div>
      <div className="card" style={{ padding: 8, fontSize: 13 }} data-testid="sweep-pbo">
        {pbo ? (
          <>
            <b className={pbo.pbo > 0.5 ? 'neg' : 'pos'}>PBO {fmtNum(pbo.pbo * 100, 1)}%</b>: in{' '}
            {fmtNum(pbo.pbo * 100, 0)}% of {pbo.splits.toLocaleString()} cross-validation splits (
            {pbo.blocks} blocks) the in-sample best did no better than the median out of sample;
            probability of an out-of-sample loss {fmtNum(pbo.probOosLoss * 100, 0)}%.
          </>
        ) : (
          <span className="muted">No PBO: {sweep.pboNote ?? 'not computed'}</span>
        )}
      </div>
      <HeatmapPanel sweep={sweep} onRun={onRun} />
      <h3>Combinations</h3>
      <RowsTable sweep={sweep} onRun={onRun} />
    </div>
  );
}

function WalkForwardResult() {
  const wf = useResearch((s) => s.walkForward);
  if (!wf) return null;
  const url = svgDataUrl(wf.equitySvg);
  const m = wf.metrics as Record<string, number | null>;
  const def = metricDef(wf.metric);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="wf-result">
      <h2>
        Walk-forward ({wf.anchored ? 'anchored' : 'rolling'}, chosen by {def.label})
      </h2>
      <div style={{ fontSize: 13 }}>
        Stitched out of sample: return {fmtNum(m.total_return_pct)}%, max drawdown{' '}
        {fmtNum(m.max_drawdown_pct)}%, Sharpe {fmtNum(m.sharpe)}, {m.trades} trades · in-sample
        minus out-of-sample {def.label}: {fmtNum(wf.gap)}
      </div>
      <Warnings list={wf.warnings} />
      <div className="chart">
        {url && <img src={url} alt="Stitched out-of-sample equity" data-testid="wf-equity" />}
      </div>
      <div className="card" style={{ padding: 0, maxHeight: 320, overflow: 'auto' }}>
        <table className="table" data-testid="wf-windows">
          <thead>
            <tr>
              <th>In sample</th>
              <th>Out of sample</th>
              <th>Parameters chosen</th>
              <th className="num">IS {def.label}</th>
              <th className="num">OOS {def.label}</th>
              <th className="num">Trades</th>
            </tr>
          </thead>
          <tbody>
            {wf.windows.map((w) => (
              <tr key={w.testStart} data-testid="wf-window">
                <td>
                  {w.trainStart.slice(0, 10)} → {w.trainEnd.slice(0, 10)}
                </td>
                <td>
                  {w.testStart.slice(0, 10)} → {w.testEnd.slice(0, 10)}
                </td>
                <td className="mono">
                  {Object.entries(w.params)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}
                </td>
                <td className="num">{fmtMetric(def, w.inSample)}</td>
                <td className={`num ${(w.outOfSample ?? 0) < (w.inSample ?? 0) ? 'neg' : ''}`}>
                  {fmtMetric(def, w.outOfSample)}
                </td>
                <td className="num">{w.trades}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function ResearchView({ onRunCombination }: { onRunCombination: RunCombination }) {
  const sweeps = useResearch((s) => s.sweeps);
  const current = useResearch((s) => s.current);
  const wf = useResearch((s) => s.walkForward);
  const strategy = useApp((s) => s.strategy);
  const show = useResearch((s) => s.focus);
  const setShow = useResearch.getState().setFocus;
  useEffect(() => {
    void useResearch.getState().loadSweeps(strategy?.id);
  }, [strategy?.id]);
  return (
    <div
      style={{ display: 'grid', gridTemplateColumns: '280px 1fr', height: '100%', minHeight: 0 }}
      data-testid="research-view"
    >
      <aside className="side" style={{ borderLeft: 0, borderRight: '1px solid var(--border)' }}>
        <div
          className="row"
          style={{ padding: '8px 10px', borderBottom: '1px solid var(--border)' }}
        >
          <h2 className="grow">Sweeps</h2>
          {wf && (
            <button className="btn small" onClick={() => setShow('wf')} data-testid="show-wf">
              Walk-forward
            </button>
          )}
        </div>
        <div style={{ overflow: 'auto', flex: 1 }}>
          {sweeps.map((s) => (
            <div
              key={s.id}
              className="list-row"
              data-testid="sweep-item"
              style={
                current?.id === s.id && show === 'sweep'
                  ? { background: 'var(--panel-2)' }
                  : undefined
              }
            >
              <div
                className="grow"
                style={{ cursor: 'pointer' }}
                onClick={() => {
                  setShow('sweep');
                  void useResearch.getState().openSweep(s.id);
                }}
              >
                <b>
                  v{s.version} · {s.rows.toLocaleString()} combinations
                </b>
                <div className="muted" style={{ fontSize: 11 }}>
                  {fmtDateTime(s.createdAt)} · {s.axes.map((a) => a.name).join(' × ')}
                  {s.pbo ? ` · PBO ${fmtNum(s.pbo.pbo * 100, 0)}%` : ''}
                </div>
              </div>
              <button
                className="btn small danger"
                title="Delete sweep"
                onClick={() => void useResearch.getState().deleteSweep(s.id)}
              >
                ✕
              </button>
            </div>
          ))}
          {!sweeps.length && (
            <div className="muted" style={{ padding: 12 }}>
              No sweeps yet. In the editor, open the Sweep tab.
            </div>
          )}
        </div>
        <ClusterSweeps />
      </aside>
      <div className="page">
        {show === 'wf' && wf ? (
          <WalkForwardResult />
        ) : current ? (
          <SweepDetail sweep={current} onRun={onRunCombination} />
        ) : (
          <div className="muted">
            Pick a sweep on the left, or start one from the editor's Sweep tab.
          </div>
        )}
      </div>
    </div>
  );
}
