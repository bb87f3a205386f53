// The editor's edge: a bezier wire with a stable test id, a delete button while selected, and
// the wire's value at a chosen bar when a run is being explained.

import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import type { SgEdge } from './graph';
import { useEditor } from './store';

function EdgeViewImpl(props: EdgeProps<SgEdge>) {
  const { id, source, target, sourceHandleId, targetHandleId, selected, style, markerEnd, data } =
    props;
  const wire = data?.wire;
  // WebKit hit-tests a path whose box has no height (a perfectly level wire) only on its exact
  // line, which integer mouse positions miss: a level wire could not be clicked. Half a pixel of
  // slope, invisible, gives it a box.
  const level = Math.abs(props.sourceY - props.targetY) < 0.5;
  const [path, labelX, labelY] = getBezierPath(
    level ? { ...props, targetY: props.sourceY + 0.5 } : props,
  );
  return (
    <g data-testid={`edge-${source}-${sourceHandleId ?? ''}-${target}-${targetHandleId ?? ''}`}>
      <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} interactionWidth={16} />
      {wire && (
        <EdgeLabelRenderer>
          <span
            className={`edge-value ${wire.tone}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={`edge-value-${id}`}
            data-tone={wire.tone}
          >
            {wire.text}
          </span>
        </EdgeLabelRenderer>
      )}
      {selected && !wire && (
        <EdgeLabelRenderer>
          <button
            className="btn small edge-delete nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            onClick={() => useEditor.getState().onEdgesChange([{ type: 'remove', id }])}
            title="Delete this wire (Delete)"
            data-testid="edge-delete"
          >
            ✕
          </button>
        </EdgeLabelRenderer>
      )}
    </g>
  );
}

export const EdgeView = memo(EdgeViewImpl);

/** Edge types at module scope, as React Flow wants. */
export const edgeTypes = { default: EdgeView };
