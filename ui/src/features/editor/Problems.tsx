// The problems list under the canvas; clicking a problem selects and shows its node.

import { useEditor } from './store';

export function ProblemsPanel({ onFocusNode }: { onFocusNode: (id: string) => void }) {
  const problems = useEditor((s) => s.problems);
  const validating = useEditor((s) => s.validating);
  const hasValidator = useEditor((s) => !!s.validator);
  return (
    <div className="problems" data-testid="problems-panel">
      <div className="head">
        <b>Problems</b>
        <span className={problems.length ? 'neg' : 'pos'} data-testid="problems-count">
          {problems.length ? `${problems.length}` : '✓ valid'}
        </span>
        <span className="muted grow">
          {!hasValidator ? 'validator offline' : validating ? 'checking…' : ''}
        </span>
      </div>
      <div data-testid="problems-list">
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
