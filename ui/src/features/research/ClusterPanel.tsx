// "Run on a cluster…": the sweep of the Sweep tab as a script for the cluster's own scheduler
// (an sbatch job array for Slurm, an Indexed Job for Kubernetes), shown to copy; and the
// user's cluster sweeps on the shared server with their progress, opened like a local sweep
// once every shard is in.

import { useState } from 'react';
import { api } from '../../ipc';
import type { ClusterScript, ClusterSweepItem } from '../../ipc/types';
import { errorText, useApp } from '../../common/app';
import { NumberInput } from '../../common/fields';
import { fmtDateTime } from '../../common/format';
import type { RunHost } from '../../common/runHost';
import { sweepInput, type SweepForm } from './sweep';
import { useResearch } from './store';

/** The dialog under the Sweep tab's buttons. */
export function ClusterLauncher({
  host,
  form,
  datasetId,
  disabled,
}: {
  host: RunHost;
  form: SweepForm;
  datasetId: string | null;
  disabled: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [scheduler, setScheduler] = useState<'slurm' | 'kubernetes'>('slurm');
  const [shards, setShards] = useState(4);
  const [cpus, setCpus] = useState(2);
  const [toServer, setToServer] = useState(true);
  const [script, setScript] = useState<ClusterScript | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const make = async () => {
    if (!datasetId) return;
    const v = await host.ensureSaved('create the cluster script');
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      setScript(
        await api.clusterScript({
          strategyId: v.strategyId,
          version: v.version,
          datasetId,
          input: sweepInput(form),
          scheduler,
          shards,
          cpus,
          toServer,
        }),
      );
    } catch (e) {
      setScript(null);
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!script) return;
    try {
      await navigator.clipboard.writeText(script.script);
      useApp.getState().notify('Script copied');
    } catch (e) {
      useApp.getState().notify(`Cannot copy: ${errorText(e)}`, 'error');
    }
  };
  if (!open) {
    return (
      <button
        className="btn"
        disabled={disabled}
        onClick={() => setOpen(true)}
        data-testid="cluster-open"
      >
        Run on a cluster…
      </button>
    );
  }
  return (
    <div className="card" data-testid="cluster-launcher" style={{ display: 'grid', gap: 8 }}>
      <div className="row">
        <b className="grow">Run on a cluster</b>
        <button className="btn small" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
      <div className="sweep-grid" style={{ gridTemplateColumns: 'repeat(3, minmax(0, 1fr))' }}>
        <label>
          scheduler
          <select
            className="input"
            value={scheduler}
            onChange={(e) => setScheduler(e.target.value === 'kubernetes' ? 'kubernetes' : 'slurm')}
            data-testid="cluster-scheduler"
          >
            <option value="slurm">Slurm (sbatch job array)</option>
            <option value="kubernetes">Kubernetes (Indexed Job)</option>
          </select>
        </label>
        <label>
          shards
          <NumberInput
            value={shards}
            integer
            min={1}
            onChange={setShards}
            testId="cluster-shards"
          />
        </label>
        <label>
          CPUs per shard
          <NumberInput value={cpus} integer min={1} onChange={setCpus} testId="cluster-cpus" />
        </label>
      </div>
      <label className="row muted" style={{ fontSize: 12, gap: 4 }}>
        <input
          type="checkbox"
          checked={toServer}
          onChange={(e) => setToServer(e.target.checked)}
          data-testid="cluster-to-server"
        />
        Shards write their rows to the shared server (progress and results here)
      </label>
      <button
        className="btn primary"
        disabled={busy || !datasetId}
        onClick={() => void make()}
        data-testid="cluster-make"
      >
        {busy ? 'Planning…' : 'Create script'}
      </button>
      {error && <div className="neg">{error}</div>}
      {script && (
        <>
          <div className="muted" style={{ fontSize: 12 }}>
            {script.combinations.toLocaleString()} combinations in {shards} shards · sweep{' '}
            {script.sweepHash.slice(0, 12)} · save as <code>{script.fileName}</code>
          </div>
          <textarea
            className="input mono"
            readOnly
            rows={14}
            value={script.script}
            data-testid="cluster-script"
            style={{ fontSize: 11, whiteSpace: 'pre' }}
          />
          <button className="btn" onClick={() => void copy()} data-testid="cluster-copy">
            Copy
          </button>
          <ul className="muted" style={{ fontSize: 12, margin: 0, paddingLeft: 16 }}>
            {script.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** Text for a cluster sweep's progress. */
export function progressText(s: ClusterSweepItem): string {
  return s.complete
    ? `complete · ${s.rowsIn.toLocaleString()} rows`
    : `${s.shardsDone} of ${s.shards} shards · ${s.rowsIn.toLocaleString()} of ${s.total.toLocaleString()} rows`;
}

/** The Research view's list of cluster sweeps on the shared server. */
export function ClusterSweeps() {
  const [items, setItems] = useState<ClusterSweepItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const refresh = async () => {
    setError(null);
    try {
      setItems(await api.clusterSweeps());
    } catch (e) {
      setError(errorText(e));
    }
  };
  const openOne = async (id: string) => {
    setOpening(id);
    try {
      const sweep = await api.clusterSweepOpen(id);
      const research = useResearch.getState();
      research.setFocus('sweep');
      await research.loadSweeps();
      await research.openSweep(sweep.id);
      await refresh();
    } catch (e) {
      useApp.getState().notify(errorText(e), 'error');
    } finally {
      setOpening(null);
    }
  };
  return (
    <div data-testid="cluster-sweeps" style={{ borderTop: '1px solid var(--border)' }}>
      <div className="row" style={{ padding: '8px 10px' }}>
        <h3 className="grow">Cluster sweeps</h3>
        <button className="btn small" onClick={() => void refresh()} data-testid="cluster-refresh">
          {items ? 'Refresh' : 'Show'}
        </button>
      </div>
      {error && (
        <div className="muted" style={{ padding: '0 10px 8px', fontSize: 12 }}>
          {error}
        </div>
      )}
      {items?.map((s) => (
        <div key={s.id} className="list-row" data-testid="cluster-sweep-item">
          <div className="grow">
            <b>{s.strategyTitle ? `${s.strategyTitle} v${s.version ?? '?'}` : s.id.slice(0, 8)}</b>
            <div className="muted" style={{ fontSize: 11 }}>
              {fmtDateTime(s.createdAt)} · {progressText(s)}
            </div>
          </div>
          {s.complete && s.launchedHere && (
            <button
              className="btn small"
              disabled={opening === s.id}
              onClick={() => void openOne(s.id)}
              data-testid="cluster-sweep-open"
            >
              {s.localSweepId ? 'Open' : 'Import'}
            </button>
          )}
        </div>
      ))}
      {items && !items.length && (
        <div className="muted" style={{ padding: '0 10px 8px', fontSize: 12 }}>
          No cluster sweeps on the server.
        </div>
      )}
    </div>
  );
}
