// Market data: import a CSV (dialog, preview of the first rows and detected columns,
// progress), and list, rename and delete datasets.

import { useEffect, useState } from 'react';
import { useDatasets } from '../../common/datasets';
import { fmtDate } from '../../common/format';
import { useData } from './store';

function ImportPanel() {
  const p = useData((s) => s.pending);
  const importing = useData((s) => s.importing);
  const progress = useData((s) => s.progress);
  const { updatePending, cancelPending, runImport } = useData.getState();
  if (!p) return null;
  const pct = progress && progress.total ? (100 * progress.done) / progress.total : 0;
  const missing = p.preview.missing.length
    ? p.preview.missing
    : ['time', 'open', 'high', 'low', 'close'].filter(
        (r) => !p.preview.columns.some((c) => c.role === r),
      );
  return (
    <div className="card" style={{ marginBottom: 14 }} data-testid="import-preview">
      <div className="row" style={{ marginBottom: 8 }}>
        <h2 className="grow">Import {p.path.split(/[\\/]/).pop()}</h2>
        <span className="muted mono">{p.path}</span>
      </div>
      <div className="form" style={{ maxWidth: 520, marginBottom: 10 }}>
        <label>Name</label>
        <input
          className="input"
          value={p.name}
          onChange={(e) => updatePending({ name: e.target.value })}
          data-testid="import-name"
        />
        <label>Symbol</label>
        <input
          className="input"
          value={p.symbol}
          onChange={(e) => updatePending({ symbol: e.target.value })}
          data-testid="import-symbol"
        />
        <label>Timeframe</label>
        <select
          className="input"
          value={p.timeframe}
          onChange={(e) => updatePending({ timeframe: e.target.value })}
          data-testid="import-timeframe"
        >
          {['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'].map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </div>
      <div className="muted" style={{ marginBottom: 8 }} data-testid="import-layout">
        Recognised as {p.preview.layout}
      </div>
      <h3 style={{ marginBottom: 4 }}>Detected columns</h3>
      <div style={{ marginBottom: 8 }}>
        {p.preview.columns.map((c) => (
          <span key={c.name} className="tag" title={c.role ? `used as ${c.role}` : 'ignored'}>
            {c.name} →{' '}
            <b style={{ color: c.role ? 'var(--ok)' : 'var(--muted)' }}>{c.role ?? 'ignored'}</b>
          </span>
        ))}
        {missing.length > 0 && (
          <div className="neg" style={{ marginTop: 4 }}>
            Missing: {missing.join(', ')} — the import will fail.
          </div>
        )}
      </div>
      <div
        style={{
          maxHeight: 240,
          overflow: 'auto',
          border: '1px solid var(--border)',
          borderRadius: 6,
        }}
      >
        <table className="table mono">
          <thead>
            <tr>
              {p.preview.columns.map((c) => (
                <th key={c.name}>{c.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p.preview.rows.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (
                  <td key={j}>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {importing && (
        <div style={{ marginTop: 10 }} data-testid="import-progress">
          <div className="progress">
            <div style={{ width: `${pct}%` }} />
          </div>
          <div className="muted" style={{ fontSize: 11 }}>
            {progress?.stage} · {Math.round(pct)}%
          </div>
        </div>
      )}
      <div className="actions row" style={{ justifyContent: 'flex-end', marginTop: 10 }}>
        <button className="btn" onClick={cancelPending} disabled={importing}>
          Cancel
        </button>
        <button
          className="btn primary"
          onClick={() => void runImport()}
          disabled={importing || !p.name.trim()}
          data-testid="import-confirm"
        >
          {importing ? 'Importing…' : 'Import'}
        </button>
      </div>
    </div>
  );
}

export function DataView() {
  const datasets = useDatasets((s) => s.list);
  const { refresh } = useDatasets.getState();
  const { pickFile, rename, remove } = useData.getState();
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <div className="page" data-testid="data-view">
      <div className="page-head">
        <h1>Market data</h1>
        <span className="muted">{datasets.length}</span>
        <span className="grow" />
        <button
          className="btn primary"
          onClick={() => void pickFile()}
          data-testid="dataset-import"
        >
          Import CSV…
        </button>
      </div>
      <ImportPanel />
      <div className="card" style={{ padding: 0 }}>
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Symbol</th>
              <th>Timeframe</th>
              <th>First</th>
              <th>Last</th>
              <th className="num">Bars</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id} data-testid="dataset-row">
                <td>
                  {editing?.id === d.id ? (
                    <form
                      className="row"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void rename(d.id, editing.name.trim());
                        setEditing(null);
                      }}
                    >
                      <input
                        className="input"
                        autoFocus
                        value={editing.name}
                        onChange={(e) => setEditing({ id: d.id, name: e.target.value })}
                        onKeyDown={(e) => e.key === 'Escape' && setEditing(null)}
                      />
                      <button className="btn small" type="submit">
                        OK
                      </button>
                    </form>
                  ) : (
                    <b>{d.name}</b>
                  )}
                </td>
                <td>{d.symbol}</td>
                <td>{d.timeframe}</td>
                <td>{fmtDate(d.first)}</td>
                <td>{fmtDate(d.last)}</td>
                <td className="num">{d.bars.toLocaleString()}</td>
                <td style={{ textAlign: 'right', whiteSpace: 'nowrap' }}>
                  <button
                    className="btn small"
                    onClick={() => setEditing({ id: d.id, name: d.name })}
                  >
                    Rename
                  </button>{' '}
                  <button className="btn small danger" onClick={() => void remove(d.id, d.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
            {!datasets.length && (
              <tr>
                <td colSpan={7} className="muted" style={{ textAlign: 'center', padding: 20 }}>
                  No datasets yet. Import a CSV with time, open, high, low, close and volume
                  columns.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
