// The problems list under the canvas; clicking a problem selects and shows its node. Its
// height is fixed (a few rows that scroll, or just the heading when there is nothing to list
// or the user folds it), so problems coming and going never eat into the canvas row by row;
// the canvas keeps the graph in view when the list opens (see `viewport.ts`).

import { useState } from 'react';
import { useEditor } from './store';

export function ProblemsPanel({ onFocusNode }: { onFocusNode: (id: string) => void }) {
  const problems = useEditor((s) => s.problems);
  const validating = useEditor((s) => s.validating);
  const hasValidator = useEditor((s) => !!s.validator);
  const [folded, setFolded] = useState(false);
  const open = problems.length > 0 && !folded;
  return (
    <div className="problems" data-testid="problems-panel" data-open={open}>
      <div className="head">
        <b>Problems</b>
        <span className={problems.length ? 'neg' : 'pos'} data-testid="problems-count">
          {problems.length ? `${problems.length}` : '✓ valid'}
        </span>
        <span className="muted grow">
          {!hasValidator ? 'validator offline' : validating ? 'checking…' : ''}
        </span>
        {problems.length > 0 && (
          <button
            className="btn small"
            onClick={() => setFolded((f) => !f)}
            data-testid="problems-toggle"
            title={folded ? 'Show the problems' : 'Fold the list (the count stays)'}
          >
            {folded ? 'Show' : 'Hide'}
          </button>
        )}
      </div>
      <div className="list" data-testid="problems-list" hidden={!open}>
        {problems.map((p, i) => (
          <div
            key={i}
            className="item"
            data-testid="problem-item"
            data-node={p.node ?? undefined}
            onClick={() => p.node && onFocusNode(p.node)}
            title={p.node ? 'Select this node' : undefined}
          >
            <span className="node">{p.node ?? 'graph'}</span>
            <span className="muted">
              {p.port ? `port ${p.port}` : p.param ? `param ${p.param}` : ''}
            </span>
            <span className="grow">{p.message}</span>
            <span className="muted mono">{p.code}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
