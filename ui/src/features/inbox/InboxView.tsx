// The notifications inbox: paper fills and alerts, backtest and sweep results, sync conflicts;
// unread first, each marked read with a click, or all at once.

import { useEffect } from 'react';
import { fmtDate } from '../../common/format';
import { useInbox } from '../../common/inbox';

export function InboxView() {
  const inbox = useInbox((s) => s.inbox);
  const { refresh, markRead } = useInbox.getState();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <div className="page" data-testid="inbox-view">
      <div className="row" style={{ marginBottom: 12 }}>
        <h1 className="grow">Inbox</h1>
        <span className="muted" data-testid="inbox-unread">
          {inbox.unread} unread
        </span>
        <button
          className="btn small"
          disabled={inbox.unread === 0}
          onClick={() => void markRead()}
          data-testid="inbox-mark-all"
        >
          Mark all read
        </button>
      </div>
      {inbox.items.length === 0 && <p className="muted">No notifications yet.</p>}
      <ul className="list" data-testid="inbox-list">
        {inbox.items.map((n) => (
          <li
            key={n.id}
            className={n.readAt ? 'muted' : ''}
            data-testid="inbox-item"
            data-kind={n.kind}
            data-unread={n.readAt ? 'false' : 'true'}
          >
            <div className="row">
              <span className="grow">
                {n.readAt ? '' : '● '}
                {n.message}
              </span>
              <span className="muted">{fmtDate(n.createdAt)}</span>
              {!n.readAt && (
                <button className="btn small" onClick={() => void markRead(n.id)}>
                  Mark read
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
