// The palette, generated from the catalog: grouped by category, searchable; drag a node
// onto the canvas or double-click it to add.

import { useMemo, useState } from 'react';
import type { NodeSpec } from '../../ipc/types';
import { CATEGORY_ORDER } from './catalog';
import { CATEGORY_COLOR } from './NodeView';

export const DND_MIME = 'application/x-stratagraph-kind';

export function filterCatalog(specs: readonly NodeSpec[], query: string): NodeSpec[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...specs];
  return specs.filter(
    (s) =>
      s.label.toLowerCase().includes(q) ||
      s.kind.toLowerCase().includes(q) ||
      s.help.toLowerCase().includes(q),
  );
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
            <h3 className="group">{g.category}</h3>
            {g.items.map((s) => (
              <div
                key={s.kind}
                className="item"
                title={`${s.help}\n(double-click or drag to add)`}
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
