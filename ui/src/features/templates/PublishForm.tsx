// The publish form: a strategy's latest saved version as a template for an audience. The
// server pushes nothing itself: the app pushes first, then the server runs the automatic
// checks and opens a review; their results are shown here.

import { useEffect, useState } from 'react';
import { api } from '../../ipc';
import type { CohortItem, IpcError, PublishResult, StrategySummary } from '../../ipc/types';
import { useTemplates } from './store';

export function PublishForm() {
  const [strategies, setStrategies] = useState<StrategySummary[]>([]);
  const [cohorts, setCohorts] = useState<CohortItem[]>([]);
  const [strategyId, setStrategyId] = useState('');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [audience, setAudience] = useState('public');
  const [cohort, setCohort] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PublishResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api
      .strategiesList()
      .then(setStrategies)
      .catch(() => setStrategies([]));
    void api
      .cohortsList()
      .then(setCohorts)
      .catch(() => setCohorts([]));
  }, []);
  const chosen = strategies.find((s) => s.strategy.id === strategyId);
  const submit = async () => {
    if (!chosen?.latestVersion) {
      setError('Choose a strategy with a saved version.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.templatePublish({
        strategyId: chosen.strategy.id,
        version: chosen.latestVersion,
        title,
        description,
        audience,
        cohort: audience === 'cohort' ? cohort : null,
        templateId: null,
      });
      setResult(r);
      void useTemplates.getState().load();
    } catch (e) {
      setError((e as IpcError).message ?? String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card" data-testid="publish-form">
      <h3>Publish a template</h3>
      <div className="row">
        <select value={strategyId} onChange={(e) => setStrategyId(e.target.value)}>
          <option value="">Strategy…</option>
          {strategies.map((s) => (
            <option key={s.strategy.id} value={s.strategy.id}>
              {s.strategy.title} {s.latestVersion ? `(v${s.latestVersion})` : '(unsaved)'}
            </option>
          ))}
        </select>
        <select value={audience} onChange={(e) => setAudience(e.target.value)}>
          <option value="public">Public</option>
          <option value="organisation">Organisation</option>
          <option value="cohort">A cohort</option>
        </select>
        {audience === 'cohort' && (
          <select value={cohort} onChange={(e) => setCohort(e.target.value)}>
            <option value="">Cohort…</option>
            {cohorts.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.members})
              </option>
            ))}
          </select>
        )}
      </div>
      <input
        placeholder="Title (no performance promises)"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <textarea
        placeholder="Description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
      />
      <p className="muted">
        Needs the shared server. A reviewer decides after the automatic checks: a reference backtest
        with costs and at least 100 trades, no performance promises, reproducible.
      </p>
      <button className="btn" disabled={busy || !title.trim()} onClick={() => void submit()}>
        {busy ? 'Publishing…' : 'Publish for review'}
      </button>
      {error && <div className="banner error">{error}</div>}
      {result && (
        <ul data-testid="publish-checks">
          {result.checks.map((c) => (
            <li key={c.check} data-passed={c.passed}>
              {c.passed ? '✓' : '✗'} {c.check.replace(/_/g, ' ')}: {c.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
