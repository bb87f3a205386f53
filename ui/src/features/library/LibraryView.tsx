// The strategy library: search, tag and status filters, headline metrics of the last run,
// and new / duplicate / rename / tags / archive / visibility / export / delete.

import { useEffect, useState } from 'react';
import type { StrategySummary, Visibility } from '../../ipc/types';
import { fmtMetric, METRICS } from '../../common/format';
import { parseTags, useLibrary } from './store';

const HEADLINE = ['total_return_pct', 'sharpe', 'max_drawdown_pct', 'trades'].map((k) =>
  METRICS.find((m) => m.key === k)!,
);

/** Opens a strategy in the editor (the app does it, keeping unsaved work as a draft). */
export type OpenStrategy = (id: string, title: string) => Promise<void>;

function NewDialog({ onClose, onOpen }: { onClose: () => void; onOpen: OpenStrategy }) {
  const examples = useLibrary((s) => s.examples);
  const [title, setTitle] = useState('');
  const [example, setExample] = useState('');
  return (
    <div className="modal-back" onClick={onClose}>
      <form
        className="modal"
        onClick={(e) => e.stopPropagation()}
        data-testid="new-strategy-dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          const s = await useLibrary
            .getState()
            .create(title.trim() || 'Untitled strategy', example || undefined);
          onClose();
          if (s) await onOpen(s.id, s.title);
        }}
      >
        <h2>New strategy</h2>
        <div className="form">
          <label>Title</label>
          <input
            className="input"
            autoFocus
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="My strategy"
            data-testid="new-strategy-title"
          />
          <label>Start from</label>
          <select
            className="input"
            value={example}
            onChange={(e) => setExample(e.target.value)}
            data-testid="new-strategy-example"
          >
            <option value="">Blank graph</option>
            {examples.map((x) => (
              <option key={x.name} value={x.name}>
                Example: {x.title}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" data-testid="new-strategy-create">
            Create
          </button>
        </div>
      </form>
    </div>
  );
}

function EditDialog({ item, onClose }: { item: StrategySummary; onClose: () => void }) {
  const [title, setTitle] = useState(item.strategy.title);
  const [tags, setTags] = useState(item.strategy.tags.join(', '));
  return (
    <div className="modal-back" onClick={onClose}>
      <form
        className="modal"
        onClick={(e) => e.stopPropagation()}
        onSubmit={async (e) => {
          e.preventDefault();
          const lib = useLibrary.getState();
          if (title.trim() && title.trim() !== item.strategy.title)
            await lib.rename(item.strategy.id, title.trim());
          const t = parseTags(tags);
          if (t.join(',') !== item.strategy.tags.join(',')) await lib.setTags(item.strategy.id, t);
          onClose();
        }}
      >
        <h2>Rename and tag</h2>
        <div className="form">
          <label>Title</label>
          <input
            className="input"
            autoFocus
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            data-testid="rename-title"
          />
          <label>Tags</label>
          <input
            className="input"
            value={tags}
            onChange={(e) => setTags(e.target.value)}
            placeholder="trend, daily"
          />
        </div>
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary">
            Save
          </button>
        </div>
      </form>
    </div>
  );
}

export function LibraryView({ onOpen }: { onOpen: OpenStrategy }) {
  const items = useLibrary((s) => s.items);
  const filter = useLibrary((s) => s.filter);
  const loading = useLibrary((s) => s.loading);
  const lib = useLibrary.getState();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<StrategySummary | null>(null);
  useEffect(() => {
    void useLibrary.getState().refresh();
    void useLibrary.getState().loadExamples();
  }, []);
  const allTags = [...new Set(items.flatMap((i) => i.strategy.tags))].sort();
  return (
    <div className="page" data-testid="library">
      <div className="page-head">
        <h1>Strategies</h1>
        <span className="muted">{loading ? 'loading…' : `${items.length}`}</span>
        <span className="grow" />
        <button className="btn" onClick={() => void lib.importFile()} data-testid="strategy-import">
          Import .json
        </button>
        <button
          className="btn primary"
          onClick={() => setCreating(true)}
          data-testid="strategy-new"
        >
          New strategy
        </button>
      </div>
      <div className="row" style={{ marginBottom: 10 }}>
        <input
          className="input"
          style={{ width: 260 }}
          placeholder="Search title…"
          value={filter.search}
          onChange={(e) => lib.setFilter({ search: e.target.value })}
          data-testid="library-search"
        />
        <select
          className="input"
          value={filter.tag}
          onChange={(e) => lib.setFilter({ tag: e.target.value })}
          data-testid="library-tag"
        >
          <option value="">All tags</option>
          {allTags.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <select
          className="input"
          value={filter.status}
          onChange={(e) => lib.setFilter({ status: e.target.value as typeof filter.status })}
          data-testid="library-status"
        >
          <option value="">Any status</option>
          <option value="draft">Draft</option>
          <option value="active">Active</option>
          <option value="archived">Archived</option>
        </select>
      </div>
      <div className="card" style={{ padding: 0 }}>
        <table className="table">
          <thead>
            <tr>
              <th>Title</th>
              <th>Tags</th>
              <th>Status</th>
              <th>Visibility</th>
              <th className="num">Ver.</th>
              {HEADLINE.map((m) => (
                <th key={m.key} className="num">
                  {m.label}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((it) => {
              const s = it.strategy;
              const m = it.lastRun?.metrics;
              return (
                <tr
                  key={s.id}
                  className="clickable"
                  data-testid="strategy-item"
                  data-strategy-id={s.id}
                  onDoubleClick={() => void onOpen(s.id, s.title)}
                >
                  <td>
                    <a
                      href="#"
                      onClick={(e) => {
                        e.preventDefault();
                        void onOpen(s.id, s.title);
                      }}
                      style={{ color: 'var(--text)', fontWeight: 600, textDecoration: 'none' }}
                      data-testid="strategy-open"
                    >
                      {s.title}
                    </a>
                    {it.origin && (
                      <div className="muted" style={{ fontSize: 11 }} data-testid="strategy-origin">
                        {it.origin}
                      </div>
                    )}
                  </td>
                  <td>
                    {s.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </td>
                  <td>
                    <span className={`badge ${s.status}`}>{s.status}</span>
                  </td>
                  <td>
                    <select
                      className="input"
                      style={{ padding: '1px 4px', fontSize: 12 }}
                      value={s.visibility}
                      onChange={(e) => void lib.setVisibility(s.id, e.target.value as Visibility)}
                      onClick={(e) => e.stopPropagation()}
                    >
                      <option value="private">private</option>
                      <option value="unlisted">unlisted</option>
                      <option value="public">public</option>
                    </select>
                  </td>
                  <td className="num">{it.latestVersion ?? '—'}</td>
                  {HEADLINE.map((d) => {
                    const v = m?.[d.key];
                    const cls =
                      typeof v === 'number' && d.unit === '%' && d.key !== 'max_drawdown_pct'
                        ? v >= 0
                          ? 'pos'
                          : 'neg'
                        : undefined;
                    return (
                      <td key={d.key} className={`num ${cls ?? ''}`}>
                        {m ? fmtMetric(d, v) : '—'}
                      </td>
                    );
                  })}
                  <td style={{ whiteSpace: 'nowrap', textAlign: 'right' }}>
                    <button
                      className="btn small"
                      onClick={() => setEditing(it)}
                      title="Rename and tag"
                    >
                      Edit
                    </button>{' '}
                    <button className="btn small" onClick={() => void lib.duplicate(s.id)}>
                      Duplicate
                    </button>{' '}
                    <button
                      className="btn small"
                      onClick={() =>
                        void lib.setStatus(s.id, s.status === 'archived' ? 'active' : 'archived')
                      }
                    >
                      {s.status === 'archived' ? 'Unarchive' : 'Archive'}
                    </button>{' '}
                    <button
                      className="btn small"
                      onClick={() => void lib.exportFile(s.id, s.slug ?? s.title)}
                    >
                      Export
                    </button>{' '}
                    <button
                      className="btn small danger"
                      onClick={() => void lib.remove(s.id, s.title)}
                      data-testid="strategy-delete"
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
            {!items.length && (
              <tr>
                <td colSpan={10} className="muted" style={{ padding: 20, textAlign: 'center' }}>
                  No strategies match. Create one, or start from an example.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {creating && <NewDialog onClose={() => setCreating(false)} onOpen={onOpen} />}
      {editing && <EditDialog item={editing} onClose={() => setEditing(null)} />}
    </div>
  );
}
