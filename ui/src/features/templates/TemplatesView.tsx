// Templates: the gallery the shared server shows you (preview read-only with its lesson
// notes, then clone into your library), your own templates with their state, clone counts
// and who cloned them, submissions waiting in the outbox, and the form that publishes one.

import { useEffect } from 'react';
import type { TemplateItem } from '../../ipc/types';
import type { GraphViews } from '../../common/graphViews';
import { LessonNotes } from './LessonNotes';
import { PublishForm } from './PublishForm';
import { ReferenceRunView } from './ReferenceRunView';
import { useTemplates } from './store';

const STATE_WORDS: Record<string, string> = {
  approved: 'approved',
  awaiting_review: 'awaiting review',
  withdrawn: 'withdrawn',
};

function audience(t: TemplateItem): string {
  return t.cohort ? `cohort ${t.cohort}` : t.audience;
}

function Preview({ views }: { views: GraphViews }) {
  const preview = useTemplates((s) => s.preview);
  const { clone, closePreview } = useTemplates.getState();
  if (!preview) return null;
  const { template, detail, doc } = preview;
  return (
    <div className="card" data-testid="template-preview">
      <div className="row">
        <h3 className="grow">{template.title}</h3>
        <span className="muted">{audience(template)}</span>
        <button
          className="btn small primary"
          onClick={() => void clone(template.id)}
          data-testid="template-preview-clone"
        >
          Clone into my library
        </button>
        <button className="btn small" onClick={closePreview}>
          Close
        </button>
      </div>
      {detail?.description && <p>{detail.description}</p>}
      {detail?.referenceRun ? (
        <ReferenceRunView run={detail.referenceRun} testId="template-reference" />
      ) : (
        <p className="muted">The reference run is not on the server.</p>
      )}
      <div className="row" style={{ alignItems: 'stretch', gap: 12 }}>
        <div className="grow" style={{ height: 360 }} data-testid="template-preview-graph">
          <views.Version doc={doc} />
        </div>
        <div style={{ width: 280 }}>
          <LessonNotes doc={doc} />
        </div>
      </div>
    </div>
  );
}

export function TemplatesView({ views }: { views: GraphViews }) {
  const { gallery, mine, pending, error, loading, clonedStrategyId, clonedBy } = useTemplates();
  const { load, openPreview, clone, withdraw, loadClonedBy } = useTemplates.getState();
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
          Cloned into your library (its first version names the template, version and author).
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
              <button
                className="btn small"
                onClick={() => void openPreview(t)}
                data-testid="template-preview-open"
              >
                Preview
              </button>
              <button
                className="btn small"
                onClick={() => void clone(t.id)}
                data-testid="template-clone"
              >
                Clone
              </button>
            </div>
          </li>
        ))}
      </ul>
      <Preview views={views} />
      <PublishForm />
      {pending.length > 0 && (
        <>
          <h3>Waiting in the outbox</h3>
          <p className="muted">Sent after the next sync with the shared server.</p>
          <ul className="list" data-testid="templates-pending">
            {pending.map((p) => (
              <li key={p.id} data-testid="pending-item">
                <div className="row">
                  <b className="grow">{p.title}</b>
                  <span className="muted">{p.audience} · waiting to be sent</span>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
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
              {t.cloneCount > 0 && (
                <button
                  className="btn small"
                  onClick={() => void loadClonedBy(t.id)}
                  data-testid="template-cloned-by-open"
                >
                  Who cloned
                </button>
              )}
              {t.state !== 'withdrawn' && (
                <button className="btn small" onClick={() => void withdraw(t.id)}>
                  Withdraw
                </button>
              )}
            </div>
            {clonedBy[t.id] && (
              <ul className="muted" data-testid="template-cloned-by">
                {(clonedBy[t.id] ?? []).map((u) => (
                  <li key={u} className="mono">
                    {u}
                  </li>
                ))}
                {clonedBy[t.id]?.length === 0 && <li>Nobody yet.</li>}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
