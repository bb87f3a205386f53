// The publish form: a strategy's latest saved version as a template for an audience. The
// automatic checks are computed here as the form is filled, before anything is sent; the
// app then pushes, the server runs the same checks and opens a review, and its results are
// shown. Offline, the submission waits in the outbox and is sent after the next sync.

import { useEffect, useState } from 'react';
import { api } from '../../ipc';
import type {
  CheckItem,
  CohortItem,
  IpcError,
  PublishResult,
  StrategySummary,
} from '../../ipc/types';
import { useTemplates } from './store';

export function CheckList({ checks, testId }: { checks: CheckItem[]; testId: string }) {
  return (
    <ul data-testid={testId}>
      {checks.map((c) => (
        <li key={c.check} data-testid={`${testId}-item`} data-passed={c.passed}>
          {c.passed ? '✓' : '✗'} {c.check.replace(/_/g, ' ')}: {c.detail}
        </li>
      ))}
    </ul>
  );
}

export function PublishForm() {
  const [strategies, setStrategies] = useState<StrategySummary[]>([]);
  const [cohorts, setCohorts] = useState<CohortItem[]>([]);
  const [strategyId, setStrategyId] = useState('');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [audience, setAudience] = useState('public');
  const [cohort, setCohort] = useState('');
  const [busy, setBusy] = useState(false);
  const [preflight, setPreflight] = useState<CheckItem[] | null>(null);
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
  const version = chosen?.latestVersion ?? null;
  // The checks before sending, computed here as the form changes (debounced).
  useEffect(() => {
    if (!chosen || version === null) {
      setPreflight(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      void api
        .templatePreflight({ strategyId: chosen.strategy.id, version, title, description })
        .then((c) => live && setPreflight(c))
        .catch(() => live && setPreflight(null));
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [chosen, version, title, description]);
  const submit = async () => {
    if (!chosen || version === null) {
      setError('Choose a strategy with a saved version.');
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api.templatePublish({
        strategyId: chosen.strategy.id,
        version,
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
  const failing = preflight?.filter((c) => !c.passed).length ?? 0;
  return (
    <div className="card" data-testid="publish-form">
      <h3>Publish a template</h3>
      <div className="row">
        <select
          value={strategyId}
          onChange={(e) => setStrategyId(e.target.value)}
          data-testid="publish-strategy"
        >
          <option value="">Strategy…</option>
          {strategies.map((s) => (
            <option key={s.strategy.id} value={s.strategy.id}>
              {s.strategy.title} {s.latestVersion ? `(v${s.latestVersion})` : '(unsaved)'}
            </option>
          ))}
        </select>
        <select
          value={audience}
          onChange={(e) => setAudience(e.target.value)}
          data-testid="publish-audience"
        >
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
        data-testid="publish-title"
      />
      <textarea
        placeholder="Description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        data-testid="publish-description"
      />
      {preflight && !result && (
        <div data-testid="publish-preflight">
          <p className="muted">
            Automatic checks, before sending (version {version}’s latest run here):{' '}
            {failing === 0
              ? 'all pass.'
              : `${failing} fail — a reviewer can only reject it as it is.`}
          </p>
          <CheckList checks={preflight} testId="preflight-checks" />
        </div>
      )}
      <p className="muted">
        Needs the shared server; without it the submission waits in the outbox. A reviewer decides
        after the automatic checks: a reference backtest with costs and at least 100 trades, no
        performance promises, reproducible.
      </p>
      <button
        className="btn"
        disabled={busy || !title.trim() || version === null}
        onClick={() => void submit()}
        data-testid="publish-submit"
      >
        {busy ? 'Publishing…' : 'Publish for review'}
      </button>
      {error && <div className="banner error">{error}</div>}
      {result?.queued && (
        <div className="banner" data-testid="publish-queued">
          The shared server cannot be reached: the submission waits in the outbox and is sent after
          the next sync.
        </div>
      )}
      {result && !result.queued && (
        <div data-testid="publish-sent">
          <p className="muted">Sent for review. The server’s automatic checks:</p>
          <CheckList checks={result.checks} testId="publish-checks" />
        </div>
      )}
    </div>
  );
}
