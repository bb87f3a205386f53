// The Sweep tab of the editor: ranges (or a random draw) per parameter, a constraint, the
// ranking metric, the combination count before starting, Start with progress and Cancel; and
// walk-forward windows on the same parameter space.

import { useEffect } from 'react';
import { useApp } from '../../common/app';
import { useDatasets } from '../../common/datasets';
import { NumberInput } from '../../common/fields';
import { METRICS } from '../../common/format';
import type { RunHost } from '../../common/runHost';
import type { SweepForm } from './sweep';
import { ClusterLauncher } from './ClusterPanel';
import { useResearch } from './store';

function JobProgress() {
  const job = useResearch((s) => s.job);
  if (!job) return null;
  const p = job.progress;
  const pct = p && p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : 0;
  const unit = job.kind === 'sweep' ? 'combinations' : 'windows';
  return (
    <div data-testid="sweep-progress">
      <div className="progress">
        <div style={{ width: `${pct}%` }} />
      </div>
      <div className="row muted" style={{ fontSize: 11, marginTop: 3 }}>
        <span className="grow">
          {p
            ? `${p.stage} · ${p.done.toLocaleString()} of ${p.total.toLocaleString()} ${unit}`
            : 'starting…'}
        </span>
        <button
          className="btn small"
          disabled={!job.jobId}
          onClick={() => void useResearch.getState().cancel()}
          data-testid="sweep-cancel"
        >
          Cancel
        </button>
      </div>
    </div>
  );
}

export function SweepPanel({ host }: { host: RunHost }) {
  const form = useResearch((s) => s.form);
  const plan = useResearch((s) => s.plan);
  const planError = useResearch((s) => s.planError);
  const job = useResearch((s) => s.job);
  const wf = useResearch((s) => s.wf);
  const datasets = useDatasets((s) => s.list);
  const datasetId = useDatasets((s) => s.selectedId);
  const r = useResearch.getState();
  useEffect(() => {
    useResearch.getState().syncForm(host);
  }, [host]);
  if (!form) return null;
  const edit = (f: (x: SweepForm) => SweepForm) => r.edit(f, host);
  const swept = Object.values(form.axes).filter((a) => a.on).length;
  const dataset = datasets.find((d) => d.id === datasetId);
  const start = async () => {
    const done = await r.startSweep(host);
    if (done) useApp.getState().setView('research');
  };
  const walk = async () => {
    const done = await r.runWalkForward(host);
    if (done) useApp.getState().setView('research');
  };
  return (
    <div data-testid="sweep-panel" style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
      <div className="field">
        <div className="lbl">Dataset</div>
        <select
          className="input"
          value={datasetId ?? ''}
          onChange={(e) => useDatasets.getState().select(e.target.value)}
          data-testid="sweep-dataset"
        >
          {!datasets.length && <option value="">No datasets — import one in Data</option>}
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} · {d.bars} bars
            </option>
          ))}
        </select>
      </div>
      {!host.parameters.length && (
        <div className="muted">
          The graph declares no parameters: add one under Parameters and bind a node param to it.
        </div>
      )}
      {host.parameters.map((p) => {
        const a = form.axes[p.name];
        if (!a) return null;
        const set = (patch: Partial<typeof a>) =>
          edit((f) => ({ ...f, axes: { ...f.axes, [p.name]: { ...a, ...patch } } }));
        const int = p.type === 'int';
        return (
          <div key={p.name} className="card" style={{ padding: 6 }}>
            <label className="row" style={{ gap: 6 }}>
              <input
                type="checkbox"
                checked={a.on}
                onChange={(e) => set({ on: e.target.checked })}
                data-testid={`sweep-on-${p.name}`}
              />
              <span className="mono grow">${p.name}</span>
              <span className="muted" style={{ fontSize: 11 }}>
                {a.on ? 'swept' : `fixed at ${p.default}`}
              </span>
            </label>
            {a.on && (
              <div
                className="sweep-grid"
                style={{ gridTemplateColumns: 'repeat(3, minmax(0, 1fr))' }}
              >
                {(['start', 'stop', 'step'] as const).map((k) => (
                  <label key={k}>
                    {k}
                    <NumberInput
                      value={a[k]}
                      integer={int}
                      min={k === 'step' ? (int ? 1 : 0) : p.min}
                      max={k === 'step' ? undefined : p.max}
                      onChange={(v) => set({ [k]: v })}
                      testId={`sweep-${k}-${p.name}`}
                    />
                  </label>
                ))}
              </div>
            )}
          </div>
        );
      })}
      <div className="field">
        <div className="lbl">
          Constraint <span className="muted">e.g. fast &lt; slow</span>
        </div>
        <input
          className="input"
          value={form.constraint}
          placeholder="fast < slow"
          onChange={(e) => {
            const constraint = e.target.value;
            edit((f) => ({ ...f, constraint }));
          }}
          data-testid="sweep-constraint"
        />
      </div>
      <div
        className="sweep-grid"
        style={{ gridTemplateColumns: 'minmax(0, 1.4fr) minmax(0, 1fr)' }}
      >
        <label style={{ flexDirection: 'row', alignItems: 'center', gap: 4, fontSize: 12 }}>
          <input
            type="checkbox"
            checked={form.random > 0}
            onChange={(e) => {
              const random = e.target.checked ? 100 : 0;
              edit((f) => ({ ...f, random }));
            }}
            data-testid="sweep-random-on"
          />
          Random sample of
        </label>
        <div style={{ minWidth: 0 }}>
          <NumberInput
            value={form.random || 100}
            integer
            min={1}
            disabled={form.random === 0}
            onChange={(random) => edit((f) => ({ ...f, random }))}
            testId="sweep-random"
          />
        </div>
      </div>
      <div className="field">
        <div className="lbl">Rank by</div>
        <select
          className="input"
          value={form.metric}
          onChange={(e) => {
            const metric = e.target.value;
            edit((f) => ({ ...f, metric }));
          }}
          data-testid="sweep-metric"
        >
          {METRICS.filter((m) => m.key !== 'trades').map((m) => (
            <option key={m.key} value={m.key}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <div className="card" style={{ padding: 8 }} data-testid="sweep-count">
        {planError ? (
          <span className="neg">{planError}</span>
        ) : plan ? (
          <>
            <b data-testid="sweep-count-value">{plan.combinations.toLocaleString()}</b> combination
            {plan.combinations === 1 ? '' : 's'}
            {plan.combinations !== plan.grid && (
              <span className="muted"> of a {plan.grid.toLocaleString()} grid</span>
            )}
            {dataset && (
              <span className="muted">
                {' '}
                · {(plan.combinations * dataset.bars).toLocaleString()} bar-runs on all cores
              </span>
            )}
            {host.unsaved && <div className="muted">Counted on the saved version.</div>}
          </>
        ) : (
          <span className="muted">
            {host.savedVersion === null ? 'Save the strategy to count combinations.' : 'Counting…'}
          </span>
        )}
      </div>
      <button
        className="btn primary"
        disabled={host.readOnly || !!job || !datasetId || swept === 0 || !!planError}
        onClick={() => void start()}
        data-testid="sweep-start"
      >
        {host.unsaved ? 'Save & sweep' : 'Start sweep'}
      </button>
      <JobProgress />
      <ClusterLauncher
        host={host}
        form={form}
        datasetId={datasetId}
        disabled={host.readOnly || !datasetId || swept === 0 || !!planError}
      />
      <h3 style={{ marginTop: 8 }}>Walk-forward</h3>
      <div className="sweep-grid" style={{ gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)' }}>
        <label>
          in-sample bars
          <NumberInput
            value={wf.train}
            integer
            min={2}
            onChange={(train) => r.setWalkForward({ train })}
            testId="wf-train"
          />
        </label>
        <label>
          out-of-sample bars
          <NumberInput
            value={wf.test}
            integer
            min={1}
            onChange={(test) => r.setWalkForward({ test })}
            testId="wf-test"
          />
        </label>
      </div>
      <label className="row muted" style={{ fontSize: 12, gap: 4 }}>
        <input
          type="checkbox"
          checked={wf.anchored}
          onChange={(e) => r.setWalkForward({ anchored: e.target.checked })}
          data-testid="wf-anchored"
        />
        Anchored (every in-sample window starts at the first bar)
      </label>
      <button
        className="btn"
        disabled={host.readOnly || !!job || !datasetId || swept === 0 || !!planError}
        onClick={() => void walk()}
        data-testid="wf-start"
      >
        {host.unsaved ? 'Save & walk forward' : 'Run walk-forward'}
      </button>
    </div>
  );
}
