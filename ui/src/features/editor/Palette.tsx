// The palette, generated from the catalog: grouped by category, searchable by name, kind,
// help and formula; drag a node onto the canvas or double-click it to add.

import { useMemo, useState } from 'react';
import type { NodeSpec } from '../../ipc/types';
import { CATEGORY_ORDER, CATEGORY_TITLE } from './catalog';
import { CATEGORY_COLOR } from './NodeView';

export const DND_MIME = 'application/x-stratagraph-kind';

export function filterCatalog(specs: readonly NodeSpec[], query: string): NodeSpec[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...specs];
  // Every word must appear somewhere: "ema cross" finds nodes mentioning both.
  return specs.filter((s) => {
    const text = [s.label, s.kind, s.help, s.formula, s.reference, CATEGORY_TITLE[s.category]]
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export function Palette({
  specs,
  onAdd,
  disabled,
}: {
  specs: NodeSpec[];
  onAdd: (kind: string) => void;
  disabled: boolean;
}) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const found = filterCatalog(specs, query);
    return CATEGORY_ORDER.map((c) => ({
      category: c,
      items: found.filter((s) => s.category === c),
    })).filter((g) => g.items.length);
  }, [specs, query]);
  return (
    <aside className="palette" data-testid="palette">
      <div className="search">
        <input
          className="input"
          placeholder="Search nodes…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="palette-search"
          onKeyDown={(e) => {
            const first = groups[0]?.items[0];
            if (e.key === 'Enter' && first && !disabled) onAdd(first.kind);
          }}
        />
      </div>
      <div className="list">
        {groups.map((g) => (
          <div key={g.category}>
            <h3 className="group" data-testid={`palette-group-${g.category}`}>
              {CATEGORY_TITLE[g.category]} <span className="muted">{g.items.length}</span>
            </h3>
            {g.items.map((s) => (
              <div
                key={s.kind}
                className="item"
                title={`${s.help}\n${s.formula}\n(double-click or drag to add)`}
                draggable={!disabled}
                data-testid={`palette-item-${s.kind}`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DND_MIME, s.kind);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onDoubleClick={() => !disabled && onAdd(s.kind)}
              >
                <span className="sw" style={{ background: CATEGORY_COLOR[s.category] }} />
                {s.label}
                <span className="kind">{s.kind.split('.')[1]}</span>
              </div>
            ))}
          </div>
        ))}
        {!groups.length && (
          <div className="muted" style={{ padding: 10 }}>
            No node matches “{query}”.
          </div>
        )}
      </div>
    </aside>
  );
}
