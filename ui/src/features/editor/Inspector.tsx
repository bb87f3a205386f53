// The inspector, generated from the catalog's param schema: numbers with min/max, enums,
// order sizes, and `$param` bindings to strategy parameters.

import type { NodeSpec, ParamSpec, ParamValue } from '../../ipc/types';
import { NumberInput } from '../../common/fields';
import { lessonMark, type LessonMark } from '../../common/lesson';
import { isBinding, type ParamDecl } from './graph';
import { useSession } from './session';
import { useEditor } from './store';

function ParamField({
  spec,
  value,
  parameters,
  onChange,
  bad,
  readOnly,
  lesson,
}: {
  spec: ParamSpec;
  value: ParamValue | undefined;
  parameters: ParamDecl[];
  onChange: (v: ParamValue | undefined) => void;
  bad: boolean;
  readOnly: boolean;
  /** How the lesson of a clone treats the parameter this field is bound to. */
  lesson: LessonMark | null;
}) {
  const numeric = spec.type === 'int' || spec.type === 'float';
  const bound = isBinding(value);
  const range =
    spec.min !== undefined || spec.max !== undefined
      ? ` (${spec.min !== undefined && spec.min > -1e12 ? spec.min : '−∞'} … ${spec.max !== undefined && spec.max < 1e12 ? spec.max : '∞'})`
      : '';
  let control: React.ReactNode;
  if (numeric) {
    control = (
      <div className="row">
        {bound ? (
          <select
            className="input grow"
            value={value.$param}
            disabled={readOnly}
            onChange={(e) => onChange({ $param: e.target.value })}
            data-testid={`param-${spec.name}-binding`}
          >
            {!parameters.some((p) => p.name === value.$param) && (
              <option value={value.$param}>{value.$param} (undeclared)</option>
            )}
            {parameters.map((p) => (
              <option key={p.name} value={p.name}>
                ${p.name}
              </option>
            ))}
          </select>
        ) : (
          <div className="grow">
            <NumberInput
              value={
                typeof value === 'number'
                  ? value
                  : typeof spec.default === 'number'
                    ? spec.default
                    : undefined
              }
              min={spec.min}
              max={spec.max}
              integer={spec.type === 'int'}
              disabled={readOnly}
              onChange={(v) => onChange(v)}
              testId={`param-${spec.name}`}
            />
          </div>
        )}
        <button
          className="btn small"
          disabled={readOnly || (!bound && !parameters.length)}
          title={
            bound
              ? 'Use a fixed value'
              : parameters.length
                ? 'Bind to a strategy parameter'
                : 'Declare a parameter first (Parameters tab)'
          }
          onClick={() =>
            onChange(
              bound
                ? typeof spec.default === 'number'
                  ? spec.default
                  : 0
                : { $param: parameters[0]!.name },
            )
          }
        >
          {bound ? 'fixed' : '$'}
        </button>
      </div>
    );
  } else if (spec.type === 'enum') {
    control = (
      <select
        className="input"
        value={typeof value === 'string' ? value : String(spec.default)}
        disabled={readOnly}
        onChange={(e) => onChange(e.target.value)}
      >
        {spec.values.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
    );
  } else if (spec.type === 'param_name') {
    control = (
      <select
        className="input"
        value={typeof value === 'string' ? value : ''}
        disabled={readOnly}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">— choose —</option>
        {parameters.map((p) => (
          <option key={p.name}>{p.name}</option>
        ))}
      </select>
    );
  } else {
    const v = (value ?? spec.default) as Record<string, unknown> | undefined;
    const mode = v && 'units' in v ? 'units' : 'equity_fraction';
    const num = Number(v?.[mode] ?? 1);
    // Two columns that may shrink: in a 290 px side panel the select's own width clipped the
    // number box.
    control = (
      <div
        style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1.2fr) minmax(0, 1fr)', gap: 6 }}
      >
        <select
          className="input"
          style={{ minWidth: 0 }}
          value={mode}
          disabled={readOnly}
          onChange={(e) =>
            onChange(e.target.value === 'units' ? { units: 1 } : { equity_fraction: 1 })
          }
        >
          <option value="equity_fraction">fraction of equity</option>
          <option value="units">units</option>
        </select>
        <div style={{ minWidth: 0 }}>
          <NumberInput
            value={num}
            min={mode === 'units' ? 0 : 0}
            max={mode === 'units' ? undefined : 1}
            disabled={readOnly}
            onChange={(n) => onChange(mode === 'units' ? { units: n } : { equity_fraction: n })}
          />
        </div>
      </div>
    );
  }
  return (
    <div
      className={`field${bad ? ' bad' : ''}${lesson === 'exercise' ? ' exercise-param' : ''}`}
      data-lesson={lesson ?? undefined}
      data-testid={`field-${spec.name}`}
    >
      {lesson === 'locked' && <div className="muted">Locked by the lesson.</div>}
      {lesson === 'exercise' && <div className="muted">Exercise: try other values here.</div>}
      <div className="lbl">
        <span>
          {spec.name}
          <span className="muted">{numeric ? range : ''}</span>
        </span>
        <span className="muted">{spec.type}</span>
      </div>
      {control}
      <div className="help">{spec.help}</div>
    </div>
  );
}

export function Inspector({ readOnly }: { readOnly: boolean }) {
  const selection = useEditor((s) => s.selection);
  // The document node, not the flow node: it stays the same object while the node is dragged
  // (positions are written into it on drag end), so the inspector does not re-render per frame.
  const gn = useEditor((s) =>
    s.selection.length === 1 ? s.nodes.find((n) => n.id === s.selection[0])?.data.node : undefined,
  );
  const catalog = useEditor((s) => s.catalog);
  const parameters = useEditor((s) => s.meta.parameters);
  const problems = useEditor((s) => (gn ? s.problemsByNode[gn.id] : undefined));
  const setParam = useEditor((s) => s.setParam);
  const setNote = useEditor((s) => s.setNote);
  // In a clone the lesson's marks apply: locked parameters cannot be edited here.
  const inClone = useSession((s) => s.origin !== null);
  if (!gn) {
    return (
      <div className="muted" data-testid="inspector-empty">
        {selection.length > 1
          ? `${selection.length} nodes selected.`
          : 'Select a node to edit its params.'}
        <p>
          Tips: drag from the palette or double-click an item; drag from an output to an input to
          connect. Press <span className="kbd">?</span> for shortcuts.
        </p>
      </div>
    );
  }
  const spec: NodeSpec | undefined = catalog.get(gn.kind);
  return (
    <div className="col" data-testid="inspector">
      <div className="row" style={{ marginBottom: 6 }}>
        <h2 className="grow">{spec?.label ?? gn.kind}</h2>
        <span className="mono muted">{gn.id}</span>
      </div>
      <div className="muted" style={{ marginBottom: 8 }}>
        {spec?.help ?? 'Unknown node kind.'}
      </div>
      {spec?.formula && (
        <div className="help" style={{ marginBottom: 8 }} data-testid="inspector-formula">
          <div className="mono" style={{ whiteSpace: 'pre-wrap' }}>
            {spec.formula}
          </div>
          {spec.reference && <div className="muted">Reference: {spec.reference}</div>}
        </div>
      )}
      {problems && (
        <div
          className="banner error"
          style={{ borderRadius: 5, marginBottom: 8, display: 'block' }}
        >
          {problems.messages.map((m, i) => (
            <div key={i}>{m}</div>
          ))}
        </div>
      )}
      <div style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
        {spec?.params.map((p) => {
          const v = gn.params[p.name];
          const mark = isBinding(v)
            ? lessonMark(parameters.find((d) => d.name === v.$param))
            : null;
          const lesson = inClone ? mark : null;
          return (
            <ParamField
              key={p.name}
              spec={p}
              value={v}
              parameters={parameters}
              bad={!!problems?.params.includes(p.name)}
              readOnly={readOnly || lesson === 'locked'}
              lesson={lesson}
              onChange={(nv) => setParam(gn.id, p.name, nv)}
            />
          );
        })}
        {spec && !spec.params.length && <div className="muted">This node has no params.</div>}
      </div>
      <div className="field" style={{ marginTop: 12 }}>
        <div className="lbl">
          <span>Note</span>
          <span className="muted">lesson text, not meaning</span>
        </div>
        <textarea
          className="input"
          rows={3}
          value={typeof gn.note === 'string' ? gn.note : ''}
          disabled={readOnly}
          placeholder="A note shown with this node"
          onChange={(e) => setNote(gn.id, e.target.value)}
          data-testid="inspector-note"
        />
      </div>
      {spec && (
        <div style={{ marginTop: 12 }}>
          <h3>Ports</h3>
          {[
            ...spec.inputs.map((p) => ({ ...p, dir: 'in' })),
            ...spec.outputs.map((p) => ({ ...p, dir: 'out' })),
          ].map((p) => (
            <div key={p.dir + p.name} className="row" style={{ fontSize: 12, marginTop: 3 }}>
              <span className="tag" style={{ color: `var(--port-${p.type})` }}>
                {p.type}
              </span>
              <span>
                {p.dir === 'in' ? '→ ' : ''}
                {p.name}
                {p.dir === 'out' ? ' →' : ''}
              </span>
              <span className="muted grow" style={{ fontSize: 11 }}>
                {p.help}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
