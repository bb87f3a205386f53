// Templates: the gallery the shared server shows you (clone into your library) and your own
// templates with their state and clone counts, and the form that publishes one.

import { useEffect } from 'react';
import type { TemplateItem } from '../../ipc/types';
import { PublishForm } from './PublishForm';
import { useTemplates } from './store';

const STATE_WORDS: Record<string, string> = {
  approved: 'approved',
  awaiting_review: 'awaiting review',
  withdrawn: 'withdrawn',
};

function audience(t: TemplateItem): string {
  return t.cohort ? `cohort ${t.cohort}` : t.audience;
}

export function TemplatesView() {
  const { gallery, mine, error, loading, clonedStrategyId } = useTemplates();
  const { load, clone, withdraw } = useTemplates.getState();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="page" data-testid="templates-view">
      <div className="row" style={{ marginBottom: 12 }}>
        <h1 className="grow">Templates</h1>
        <button className="btn small" disabled={loading} onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <div className="banner error" data-testid="templates-error">
          {error}
        </div>
      )}
      {clonedStrategyId && (
        <p className="muted" data-testid="templates-cloned">
          Cloned into your library.
        </p>
      )}
      <h3>Gallery</h3>
      {!loading && gallery.length === 0 && (
        <p className="muted">No templates are shared with you yet.</p>
      )}
      <ul className="list" data-testid="templates-gallery">
        {gallery.map((t) => (
          <li key={t.id} data-testid="template-item">
            <div className="row">
              <b className="grow">{t.title}</b>
              <span className="muted">{audience(t)}</span>
              <button className="btn small" onClick={() => void clone(t.id)}>
                Clone
              </button>
            </div>
          </li>
        ))}
      </ul>
      <PublishForm />
      <h3>My templates</h3>
      {!loading && mine.length === 0 && <p className="muted">You have not published a template.</p>}
      <ul className="list" data-testid="templates-mine">
        {mine.map((t) => (
          <li key={t.id} data-testid="my-template">
            <div className="row">
              <b className="grow">{t.title}</b>
              <span className="muted">
                {audience(t)} · {STATE_WORDS[t.state] ?? t.state}
                {t.underReview ? ' · review open' : ''} · {t.cloneCount} clone
                {t.cloneCount === 1 ? '' : 's'}
              </span>
              {t.state !== 'withdrawn' && (
                <button className="btn small" onClick={() => void withdraw(t.id)}>
                  Withdraw
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
