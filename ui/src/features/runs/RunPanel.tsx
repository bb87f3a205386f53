// The run panel in the editor: dataset, parameter values, Run with progress and cancel,
// and the headline of the latest result. Local runs are never metered.

import { useEffect } from 'react';
import { useApp } from '../../common/app';
import { useDatasets } from '../../common/datasets';
import { NumberInput } from '../../common/fields';
import { fmtDate, fmtMetric, METRICS } from '../../common/format';
import type { RunHost } from '../../common/runHost';
import { Chart } from './Chart';
import { useRuns } from './store';

/** Runs the editor's strategy: saves first when needed, then backtests the saved version. */
export async function runFromEditor(host: RunHost): Promise<void> {
  const v = await host.ensureSaved('run');
  if (!v) return;
  const done = await useRuns.getState().run(v.strategyId, v.version);
  if (done) useApp.getState().notify('Backtest finished');
}

export function RunPanel({ host }: { host: RunHost }) {
  const datasets = useDatasets((s) => s.list);
  const datasetId = useDatasets((s) => s.selectedId);
  const running = useRuns((s) => s.running);
  const progress = useRuns((s) => s.progress);
  const jobId = useRuns((s) => s.jobId);
  const current = useRuns((s) => s.current);
  const values = useRuns((s) => s.paramValues);
  const parameters = host.parameters;
  const { setParamValue, cancel } = useRuns.getState();
  const { select: setDataset, refresh: loadDatasets } = useDatasets.getState();
  useEffect(() => {
    void loadDatasets();
  }, [loadDatasets]);
  const pct =
    progress && progress.total > 0 ? Math.min(100, (100 * progress.done) / progress.total) : 0;
  return (
    <div data-testid="run-panel" style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
      <div className="field">
        <div className="lbl">Dataset</div>
        <select
          className="input"
          value={datasetId ?? ''}
          onChange={(e) => setDataset(e.target.value)}
          data-testid="dataset-select"
        >
          {!datasets.length && <option value="">No datasets — import one in Data</option>}
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} · {d.symbol} {d.timeframe} · {d.bars} bars
            </option>
          ))}
        </select>
      </div>
      {parameters.map((p) => (
        <div className="field" key={p.name}>
          <div className="lbl">
            <span className="mono">${p.name}</span>
            <span className="muted">
              {p.min ?? '−∞'} … {p.max ?? '∞'}
            </span>
          </div>
          <NumberInput
            value={values[p.name] ?? p.default}
            min={p.min}
            max={p.max}
            integer={p.type === 'int'}
            onChange={(v) => setParamValue(p.name, v)}
            testId={`run-param-${p.name}`}
          />
        </div>
      ))}
      <div className="row">
        <button
          className="btn primary grow"
          disabled={host.readOnly || running || !datasetId}
          onClick={() => void runFromEditor(host)}
          data-testid="run-button"
          title="Run (Ctrl+Enter)"
        >
          {running ? 'Running…' : host.unsaved ? 'Save & run' : 'Run backtest'}
        </button>
        {running && (
          <button
            className="btn"
            onClick={() => void cancel()}
            disabled={!jobId}
            data-testid="run-cancel"
          >
            Cancel
          </button>
        )}
      </div>
      {running && progress && (
        <div data-testid="run-progress">
          <div className="progress">
            <div style={{ width: `${pct}%` }} />
          </div>
          <div className="muted" style={{ fontSize: 11, marginTop: 3 }}>
            {progress.stage} · {Math.round(pct)}%
          </div>
        </div>
      )}
      {current && !running && (
        <div className="card" data-testid="run-result" style={{ padding: 8 }}>
          <div className="row" style={{ marginBottom: 6 }}>
            <b className="grow">Last result</b>
            <span className="muted" style={{ fontSize: 11 }}>
              v{current.version} · {fmtDate(current.createdAt)}
            </span>
          </div>
          <div
            className="grid-cards"
            style={{ gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)' }}
          >
            {METRICS.slice(0, 6).map((m) => (
              <div key={m.key} className="metric">
                <div className="label">{m.label}</div>
                <div className="value" style={{ fontSize: 14 }}>
                  {fmtMetric(m, current.metrics?.[m.key])}
                </div>
              </div>
            ))}
          </div>
          <div style={{ marginTop: 8 }} data-testid="run-result-equity">
            <Chart
              runId={current.id}
              kind="equity"
              title="Equity"
              height={120}
              compact
              shownMark="run-equity-shown"
            />
          </div>
          <button
            className="btn"
            style={{ marginTop: 8, width: '100%' }}
            onClick={() => useApp.getState().setView('runs')}
            data-testid="open-results"
          >
            Open full results
          </button>
        </div>
      )}
    </div>
  );
}
