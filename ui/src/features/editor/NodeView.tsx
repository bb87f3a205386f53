// The React Flow node types: a catalog node with typed, colour-coded ports, a short summary
// of its params, its lesson note and its validation problems marked in place; and a lesson's
// comment frame (read-only canvases).

import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { Category, ParamValue } from '../../ipc/types';
import { isBinding, type SgNode } from './graph';
import { useEditor } from './store';

export const CATEGORY_COLOR: Record<Category, string> = {
  source: '#5aa9e6',
  timeframe: '#4fc3c9',
  indicator: '#7fc97f',
  pattern: '#a5d66f',
  math: '#b39ddb',
  compare: '#f0a35e',
  signal: '#e57373',
  logic: '#e2c044',
  time: '#9fa8da',
  position: '#d4a5e0',
  order: '#3ec27f',
  risk: '#f0625d',
};

export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined) return '–';
  if (isBinding(v)) return `$${v.$param}`;
  if (typeof v === 'object' && v !== null) {
    if ('equity_fraction' in v) return `${Number(v.equity_fraction) * 100}% equity`;
    if ('units' in v) return `${String(v.units)} units`;
    return JSON.stringify(v);
  }
  return String(v);
}

/** Extra class a diff view puts on a node (`diff-added` ...). */
export interface DiffMark {
  diff?: 'added' | 'removed' | 'changed';
  /** Shown read-only (a past version or a diff): the working graph's problems do not apply. */
  static?: boolean;
}

function NodeViewImpl({ id, data, selected }: NodeProps<SgNode>) {
  const node = data.node;
  const spec = useEditor((s) => s.catalog.get(node.kind));
  const mark = data as DiffMark;
  const problems = useEditor((s) => (mark.static ? undefined : s.problemsByNode[id]));
  const diff = mark.diff;
  const cls = [
    'sgnode',
    selected ? 'selected' : '',
    problems ? 'problem' : '',
    diff ? `diff-${diff}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const inputs = spec?.inputs ?? [];
  const outputs = spec?.outputs ?? [];
  const params = spec?.params ?? [];
  return (
    <div
      className={cls}
      data-testid={`node-${id}`}
      data-problem={problems ? 'true' : undefined}
      title={problems ? problems.messages.join('\n') : spec?.help}
    >
      <div className="hd">
        <span
          className="cat"
          style={{ background: spec ? CATEGORY_COLOR[spec.category] : 'var(--danger)' }}
        />
        <span className="lbl">{spec?.label ?? node.kind}</span>
        {problems && <span className="err">!</span>}
        <span className="id">{id}</span>
      </div>
      {(inputs.length > 0 || outputs.length > 0) && (
        <div className="ports">
          <div>
            {inputs.map((p) => (
              <div
                key={p.name}
                className={`port in${problems?.ports.includes(p.name) ? ' bad' : ''}`}
                title={`${p.name}: ${p.type} — ${p.help}`}
              >
                <Handle
                  type="target"
                  position={Position.Left}
                  id={p.name}
                  className={`sgh t-${p.type}${problems?.ports.includes(p.name) ? ' bad' : ''}`}
                />
                {p.name}
              </div>
            ))}
          </div>
          <div>
            {outputs.map((p) => (
              <div key={p.name} className="port out" title={`${p.name}: ${p.type} — ${p.help}`}>
                {p.name}
                <Handle
                  type="source"
                  position={Position.Right}
                  id={p.name}
                  className={`sgh t-${p.type}`}
                />
              </div>
            ))}
          </div>
        </div>
      )}
      {params.length > 0 && (
        <div className="params">
          {params.map((p) => {
            const v = node.params[p.name];
            const bad = problems?.params.includes(p.name);
            return (
              <div key={p.name} className={bad ? 'neg' : undefined}>
                {p.name}:{' '}
                <b className={isBinding(v) ? 'bind' : undefined}>
                  {formatParam(v ?? (p.default as ParamValue))}
                </b>
              </div>
            );
          })}
        </div>
      )}
      {typeof node.note === 'string' && node.note.trim() !== '' && (
        <div className="note" data-testid={`node-note-${id}`}>
          {node.note}
        </div>
      )}
    </div>
  );
}

export const NodeView = memo(NodeViewImpl);

/** A lesson's free comment frame, drawn behind the graph on read-only canvases. */
export type CommentNode = Node<{ text: string; width: number; height: number }, 'comment'>;

function CommentFrameImpl({ id, data }: NodeProps<CommentNode>) {
  return (
    <div
      className="comment-frame"
      data-testid={`comment-${id.replace(/^comment:/, '')}`}
      style={{ width: data.width, height: data.height }}
    >
      {data.text}
    </div>
  );
}

export const CommentFrameView = memo(CommentFrameImpl);

/** Node types at module scope, as React Flow wants. */
export const nodeTypes = { sg: NodeView, comment: CommentFrameView };
