// Review: the open reviews of templates with their automatic checks. A reviewer opens a
// submission read-only (its graph and lesson notes, or the visual diff since the version
// the audience sees now) and approves or rejects it with a reason (the educator is told).
// The server refuses anyone else.

import { useEffect, useState } from 'react';
import type { ReviewItem } from '../../ipc/types';
import type { GraphViews } from '../../common/graphViews';
import { LessonNotes } from './LessonNotes';
import { CheckList } from './PublishForm';
import { ReferenceRunView } from './ReferenceRunView';
import { useTemplates } from './store';

function Submission({ views }: { views: GraphViews }) {
  const review = useTemplates((s) => s.review);
  if (!review) return null;
  const { submitted, approved } = review;
  return (
    <div data-testid="review-open">
      {approved ? (
        <>
          <p className="muted">Changes since the approved version the audience sees now:</p>
          <div style={{ height: 340 }} data-testid="review-diff">
            <views.Diff a={approved} b={submitted} />
          </div>
          <views.Summary a={approved} b={submitted} />
        </>
      ) : (
        <>
          <p className="muted">A new template: the graph as submitted.</p>
          <div style={{ height: 340 }} data-testid="review-graph">
            <views.Version doc={submitted} />
          </div>
        </>
      )}
      <LessonNotes doc={submitted} />
    </div>
  );
}

function ReviewCard({ r, views }: { r: ReviewItem; views: GraphViews }) {
  const [reason, setReason] = useState('');
  const open = useTemplates((s) => s.review?.reviewId === r.id);
  const { decide, openReview, closeReview } = useTemplates.getState();
  const failed = r.checks.filter((c) => !c.passed).length;
  const run = r.checks.find((c) => c.check === 'reference_run');
  return (
    <li data-testid="review-item">
      <div className="row">
        <b className="grow">{r.title}</b>
        <span className="muted">version {r.versionId ?? '—'}</span>
        <button
          className="btn small"
          onClick={() => void (open ? closeReview() : openReview(r))}
          data-testid="review-open-button"
        >
          {open ? 'Close' : 'Open'}
        </button>
      </div>
      {r.approvedVersionId && (
        <div className="muted">Students see version {r.approvedVersionId} until you approve.</div>
      )}
      {run && (
        <div className="muted" data-testid="review-reference-run">
          Reference run: {run.detail}
        </div>
      )}
      {r.referenceRun ? (
        <ReferenceRunView run={r.referenceRun} />
      ) : (
        <div className="muted">The educator’s app shared no summary of the reference run.</div>
      )}
      <CheckList checks={r.checks} testId="review-check" />
      {open && <Submission views={views} />}
      <div className="row">
        <input
          className="grow"
          placeholder="Reason (the educator is told)"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="review-reason"
        />
        <button
          className="btn small"
          disabled={failed > 0}
          title={failed > 0 ? 'Failed automatic checks: it can only be rejected' : undefined}
          onClick={() => void decide(r.id, true, reason)}
          data-testid="review-approve"
        >
          Approve
        </button>
        <button
          className="btn small"
          onClick={() => void decide(r.id, false, reason)}
          data-testid="review-reject"
        >
          Reject
        </button>
      </div>
    </li>
  );
}

export function ReviewView({ views }: { views: GraphViews }) {
  const { queue, error, loading } = useTemplates();
  const { loadQueue } = useTemplates.getState();
  useEffect(() => {
    void loadQueue();
  }, [loadQueue]);
  return (
    <div className="page" data-testid="review-view">
      <div className="row" style={{ marginBottom: 12 }}>
        <h1 className="grow">Review</h1>
        <button className="btn small" disabled={loading} onClick={() => void loadQueue()}>
          Refresh
        </button>
      </div>
      {error && (
        <div className="banner error" data-testid="review-error">
          {error}
        </div>
      )}
      {!loading && !error && queue.length === 0 && <p className="muted">No open reviews.</p>}
      <ul className="list">
        {queue.map((r) => (
          <ReviewCard key={r.id} r={r} views={views} />
        ))}
      </ul>
    </div>
  );
}
