// Review: the open reviews of templates with their automatic checks; a reviewer approves or
// rejects each with a reason (the educator is told). The server refuses anyone else.

import { useEffect, useState } from 'react';
import type { ReviewItem } from '../../ipc/types';
import { useTemplates } from './store';

function ReviewCard({ r }: { r: ReviewItem }) {
  const [reason, setReason] = useState('');
  const { decide } = useTemplates.getState();
  const failed = r.checks.filter((c) => !c.passed).length;
  return (
    <li data-testid="review-item">
      <div className="row">
        <b className="grow">{r.title}</b>
        <span className="muted">version {r.versionId ?? '—'}</span>
      </div>
      {r.approvedVersionId && (
        <div className="muted">Students see version {r.approvedVersionId} until you approve.</div>
      )}
      <ul>
        {r.checks.map((c) => (
          <li key={c.check} data-testid="review-check" data-passed={c.passed}>
            {c.passed ? '✓' : '✗'} {c.check.replace(/_/g, ' ')}: {c.detail}
          </li>
        ))}
      </ul>
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
        >
          Approve
        </button>
        <button className="btn small" onClick={() => void decide(r.id, false, reason)}>
          Reject
        </button>
      </div>
    </li>
  );
}

export function ReviewView() {
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
          <ReviewCard key={r.id} r={r} />
        ))}
      </ul>
    </div>
  );
}
