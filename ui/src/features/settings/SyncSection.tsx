// Settings → Sync: connection form, test, sync now with progress and cancel, auto-sync,
// last sync, pending changes, conflicts and the last error.

import { useEffect } from 'react';
import { fmtDateTime } from '../../common/format';
import { ago, TLS_MODES, useSync, type SyncForm } from './sync';

function Field({
  label,
  name,
  error,
  children,
}: {
  label: string;
  name: keyof SyncForm;
  error?: string;
  children: React.ReactNode;
}) {
  return (
    <>
      <label htmlFor={`sync-${name}`}>{label}</label>
      <div>
        {children}
        {error && (
          <div className="sync-error" data-testid={`sync-error-${name}`}>
            {error}
          </div>
        )}
      </div>
    </>
  );
}

export function SyncSection() {
  const s = useSync();
  const { form, errors, status, job, test } = s;
  useEffect(() => {
    void useSync.getState().load();
    // Keep the figures fresh while the section is open (the background sync moves them).
    const t = setInterval(() => void useSync.getState().load(), 10_000);
    return () => clearInterval(t);
  }, []);
  const running = job.kind !== 'idle';
  const p = job.progress;
  const pct = p && p.total ? Math.min(100, (100 * p.done) / p.total) : null;
  const stageText = !p
    ? 'starting…'
    : p.stage === 'pushing'
      ? `sending changes ${p.done} / ${p.total}`
      : p.stage === 'pulling'
        ? `receiving changes (${p.done} rows)`
        : p.stage === 'connecting'
          ? 'connecting…'
          : p.stage;
  const input = (name: 'host' | 'port' | 'database' | 'user', extra = {}) => (
    <input
      id={`sync-${name}`}
      className={`input ${errors[name] ? 'bad' : ''}`}
      value={form[name]}
      onChange={(e) => s.setField(name, e.target.value)}
      data-testid={`sync-${name}`}
      autoComplete="off"
      spellCheck={false}
      {...extra}
    />
  );
  return (
    <div className="card sync-section" data-testid="sync-section" style={{ gridColumn: '1 / -1' }}>
      <h3 style={{ marginBottom: 10 }}>Sync</h3>
      <div className="sync-grid">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void s.save();
          }}
        >
          <div className="muted" style={{ marginBottom: 8 }}>
            Your strategies, versions and runs sync with a PostgreSQL server.
          </div>
          <div className="form">
            <Field label="Host" name="host" error={errors.host}>
              {input('host', { placeholder: 'db.example.com' })}
            </Field>
            <Field label="Port" name="port" error={errors.port}>
              {input('port', { inputMode: 'numeric', style: { width: 100 } })}
            </Field>
            <Field label="Database" name="database" error={errors.database}>
              {input('database', { placeholder: 'stratagraph' })}
            </Field>
            <Field label="User" name="user" error={errors.user}>
              {input('user')}
            </Field>
            <Field label="TLS" name="tls">
              <select
                id="sync-tls"
                className="input"
                value={form.tls}
                onChange={(e) => s.setField('tls', e.target.value as SyncForm['tls'])}
                data-testid="sync-tls"
              >
                {TLS_MODES.map((m) => (
                  <option key={m.value} value={m.value}>
                    {m.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Password" name="password">
              <input
                id="sync-password"
                className="input"
                type="password"
                value={form.password}
                onChange={(e) => s.setField('password', e.target.value)}
                placeholder={status?.configured ? 'unchanged' : 'none'}
                autoComplete="new-password"
                data-testid="sync-password"
              />
              <div className="muted" style={{ fontSize: 11 }}>
                Saved in the OS keyring, never shown again. Leave empty to keep the saved one.
              </div>
            </Field>
            <label />
            <label className="row" style={{ gap: 6 }}>
              <input
                type="checkbox"
                checked={form.includeRunDetails}
                onChange={(e) => s.setField('includeRunDetails', e.target.checked)}
                data-testid="sync-run-details"
              />
              Also sync run details (trades, equity curves)
            </label>
          </div>
          {s.saveError && (
            <div className="sync-error" data-testid="sync-save-error" role="alert">
              {s.saveError}
            </div>
          )}
          <div className="row" style={{ justifyContent: 'flex-end', marginTop: 10, gap: 8 }}>
            <button
              type="button"
              className="btn"
              disabled={!status?.configured || test.kind === 'testing' || s.edited}
              title={s.edited ? 'Save first' : undefined}
              onClick={() => void s.testConnection()}
              data-testid="sync-test"
            >
              {test.kind === 'testing' ? 'Testing…' : 'Test connection'}
            </button>
            <button
              className="btn primary"
              type="submit"
              disabled={s.saving}
              data-testid="sync-save"
            >
              {s.saving ? 'Saving…' : 'Save'}
            </button>
          </div>
          {(test.kind === 'ok' || test.kind === 'failed') && (
            <div
              className={`sync-test ${test.kind}`}
              data-testid="sync-test-result"
              data-ok={test.kind === 'ok'}
            >
              {test.kind === 'ok' ? '✓ ' : '✗ '}
              {test.text}
            </div>
          )}
        </form>

        <div data-testid="sync-status">
          <div className="form">
            <label>Last sync</label>
            <span data-testid="sync-last" title={status?.lastSyncAt ?? ''}>
              {status?.lastSyncAt
                ? `${ago(status.lastSyncAt)} (${fmtDateTime(status.lastSyncAt)})`
                : 'never'}
            </span>
            <label>Pending changes</label>
            <span data-testid="sync-pending">{status ? status.pending : '—'}</span>
            <label>Conflicts</label>
            <span data-testid="sync-conflicts">{status ? status.unreadConflicts : '—'} unread</span>
            <label>Last error</label>
            <span data-testid="sync-last-error" className={status?.lastError ? 'sync-error' : ''}>
              {status?.lastError ?? 'none'}
            </span>
          </div>

          <div className="row" style={{ marginTop: 12, gap: 8 }}>
            <button
              className="btn primary"
              disabled={!status?.configured || running}
              onClick={() => void s.syncNow()}
              data-testid="sync-now"
            >
              Sync now
            </button>
            {running && (
              <button
                className="btn"
                disabled={job.kind === 'cancelling' || !job.jobId}
                onClick={() => void s.cancel()}
                data-testid="sync-cancel"
              >
                {job.kind === 'cancelling' ? 'Cancelling…' : 'Cancel'}
              </button>
            )}
          </div>
          {running && (
            <div style={{ marginTop: 8 }} data-testid="sync-progress">
              <div className="progress">
                <div style={{ width: `${pct ?? 100}%`, opacity: pct === null ? 0.4 : 1 }} />
              </div>
              <div className="muted" style={{ fontSize: 11 }}>
                {stageText}
              </div>
            </div>
          )}
          {s.result && (
            <div className={`sync-test ${s.result.ok ? 'ok' : 'failed'}`} data-testid="sync-result">
              {s.result.text}
            </div>
          )}

          <div className="row" style={{ marginTop: 14, gap: 8, flexWrap: 'wrap' }}>
            <label className="row" style={{ gap: 6 }}>
              <input
                type="checkbox"
                checked={status?.autoSync ?? false}
                disabled={!status}
                onChange={(e) => void s.setAuto(e.target.checked)}
                data-testid="sync-auto"
              />
              Sync in the background every
            </label>
            <input
              className={`input ${s.intervalError ? 'bad' : ''}`}
              style={{ width: 64 }}
              inputMode="numeric"
              value={s.intervalMinutes}
              onChange={(e) => s.setIntervalMinutes(e.target.value)}
              onBlur={() => status?.autoSync && !s.intervalError && void s.setAuto(true)}
              data-testid="sync-interval"
            />
            <span>min</span>
            {status?.autoSync && (
              <span className="badge" data-testid="sync-auto-state">
                {status.backgroundActive ? 'on' : 'waiting for a server'}
              </span>
            )}
          </div>
          {s.intervalError && <div className="sync-error">{s.intervalError}</div>}

          {status && status.conflicts.length > 0 && (
            <div style={{ marginTop: 14 }} data-testid="sync-conflict-list">
              <div className="row">
                <b className="grow">Conflicts</b>
                <button
                  className="btn small"
                  onClick={() => void s.readConflicts()}
                  data-testid="sync-conflicts-read"
                >
                  Mark as read
                </button>
              </div>
              <ul className="sync-conflicts">
                {status.conflicts.map((c) => (
                  <li key={c.id} data-testid="sync-conflict">
                    {c.message} <span className="muted">{fmtDateTime(c.createdAt)}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {s.loadError && <div className="sync-error">{s.loadError}</div>}
        </div>
      </div>
    </div>
  );
}
