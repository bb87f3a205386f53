// The strategy parameters panel, the account settings panel and the lesson panel (comment
// frames of the canvas).

import { useState } from 'react';
import { NumberInput } from '../../common/fields';
import {
  commentFrames,
  lessonMark,
  markParameter,
  type CommentFrame,
  type LessonMark,
} from '../../common/lesson';
import type { ParamDecl } from './graph';
import { useSession } from './session';
import { useEditor } from './store';

export function ParametersPanel({ readOnly }: { readOnly: boolean }) {
  const parameters = useEditor((s) => s.meta.parameters);
  const setParameters = useEditor((s) => s.setParameters);
  const inClone = useSession((s) => s.origin !== null);
  const [name, setName] = useState('');
  const update = (i: number, patch: Partial<ParamDecl>) =>
    setParameters(parameters.map((p, j) => (i === j ? { ...p, ...patch } : p)));
  const mark = (name: string, m: LessonMark | null) =>
    setParameters(markParameter(parameters, name, m));
  const valid = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !parameters.some((p) => p.name === name);
  return (
    <div data-testid="parameters-panel">
      <p className="muted" style={{ marginTop: 0 }}>
        Named numbers that node params bind with <span className="mono">$name</span>; a run may
        override them.
      </p>
      {parameters.map((p, i) => {
        const lesson = lessonMark(p);
        // In a clone a locked parameter stays as the educator set it.
        const locked = readOnly || (inClone && lesson === 'locked');
        return (
          <div
            key={p.name}
            className={`card${inClone && lesson === 'exercise' ? ' exercise-param' : ''}`}
            style={{ padding: 8, marginBottom: 8 }}
            data-testid={`parameter-${p.name}`}
            data-lesson={lesson ?? undefined}
          >
            <div className="row" style={{ marginBottom: 6 }}>
              <b className="mono grow">${p.name}</b>
              <select
                className="input"
                value={lesson ?? ''}
                disabled={readOnly || inClone}
                title="How a lesson treats this parameter in a clone"
                onChange={(e) => mark(p.name, (e.target.value || null) as LessonMark | null)}
                data-testid={`parameter-${p.name}-lesson`}
              >
                <option value="">free</option>
                <option value="locked">locked</option>
                <option value="exercise">exercise</option>
              </select>
              <select
                className="input"
                value={p.type}
                disabled={locked}
                onChange={(e) => update(i, { type: e.target.value as ParamDecl['type'] })}
              >
                <option value="int">int</option>
                <option value="float">float</option>
              </select>
              <button
                className="btn small danger"
                disabled={locked}
                onClick={() => setParameters(parameters.filter((_, j) => j !== i))}
                title="Remove parameter"
              >
                ✕
              </button>
            </div>
            <div className="form" style={{ gridTemplateColumns: '60px 1fr' }}>
              <label>default</label>
              <NumberInput
                value={p.default}
                integer={p.type === 'int'}
                min={p.min}
                max={p.max}
                disabled={locked}
                onChange={(v) => update(i, { default: v })}
              />
              <label>min</label>
              <NumberInput
                value={p.min}
                integer={p.type === 'int'}
                disabled={locked}
                onChange={(v) => update(i, { min: v })}
              />
              <label>max</label>
              <NumberInput
                value={p.max}
                integer={p.type === 'int'}
                disabled={locked}
                onChange={(v) => update(i, { max: v })}
              />
            </div>
            {inClone && lesson && (
              <div className="muted" style={{ fontSize: 11 }}>
                {lesson === 'locked' ? 'Locked by the lesson.' : 'Exercise: try other values.'}
              </div>
            )}
          </div>
        );
      })}
      {!readOnly && (
        <div className="row">
          <input
            className="input grow"
            placeholder="new parameter name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="parameter-name"
          />
          <button
            className="btn"
            disabled={!valid}
            onClick={() => {
              setParameters([...parameters, { name, type: 'int', default: 10, min: 1, max: 500 }]);
              setName('');
            }}
          >
            Add
          </button>
        </div>
      )}
    </div>
  );
}

export function SettingsPanel({ readOnly }: { readOnly: boolean }) {
  const settings = useEditor((s) => s.meta.settings);
  const setSettings = useEditor((s) => s.setSettings);
  return (
    <div className="form" data-testid="settings-panel">
      <label>Initial cash</label>
      <NumberInput
        value={settings.initial_cash}
        min={0}
        disabled={readOnly}
        onChange={(v) => setSettings({ initial_cash: v })}
        testId="setting-initial-cash"
      />
      <label>Commission</label>
      <NumberInput
        value={settings.commission}
        min={0}
        max={1}
        step={0.0005}
        disabled={readOnly}
        onChange={(v) => setSettings({ commission: v })}
        testId="setting-commission"
      />
      <label>Slippage (bps)</label>
      <NumberInput
        value={settings.slippage_bps}
        min={0}
        disabled={readOnly}
        onChange={(v) => setSettings({ slippage_bps: v })}
        testId="setting-slippage"
      />
      <label>Fractional units</label>
      <input
        type="checkbox"
        checked={settings.fractional}
        disabled={readOnly}
        onChange={(e) => setSettings({ fractional: e.target.checked })}
        style={{ justifySelf: 'start' }}
      />
      <span />
      <span className="muted" style={{ fontSize: 11 }}>
        Commission is a fraction of traded value, charged on entry and exit. Orders fill at the next
        bar’s open.
      </span>
    </div>
  );
}

/** A fresh comment frame id: `c1`, `c2` … */
function freshFrameId(frames: readonly CommentFrame[]): string {
  const taken = new Set(frames.map((f) => f.id));
  for (let i = 1; ; i++) if (!taken.has(`c${i}`)) return `c${i}`;
}

export function LessonPanel({ readOnly }: { readOnly: boolean }) {
  const meta = useEditor((s) => s.meta);
  const nodes = useEditor((s) => s.nodes);
  const setComments = useEditor((s) => s.setComments);
  const frames = commentFrames(meta);
  const update = (id: string, patch: Partial<CommentFrame>) =>
    setComments(frames.map((f) => (f.id === id ? { ...f, ...patch } : f)));
  const add = () => {
    // Above the graph's top-left corner, so a new frame covers no node.
    const x = nodes.length ? Math.min(...nodes.map((n) => n.position.x)) : 0;
    const y = nodes.length ? Math.min(...nodes.map((n) => n.position.y)) : 0;
    const below = frames.length ? Math.max(...frames.map((f) => f.y + (f.height ?? 120))) : y;
    setComments([
      ...frames,
      {
        id: freshFrameId(frames),
        text: 'Lesson text',
        x,
        y: frames.length ? below + 20 : y - 160,
        width: 320,
        height: 120,
      },
    ]);
  };
  return (
    <div data-testid="lesson-panel">
      <p className="muted" style={{ marginTop: 0 }}>
        Comment frames on the canvas and node notes (Inspector) carry a lesson’s text; mark
        parameters locked or as exercises in Parameters. None of it changes a run. Frames are drawn
        behind the graph on the canvas; place and size them here.
      </p>
      {frames.map((f) => (
        <div key={f.id} className="card" style={{ padding: 8, marginBottom: 8 }}>
          <div className="row" style={{ marginBottom: 6 }}>
            <b className="mono grow">{f.id}</b>
            <button
              className="btn small danger"
              disabled={readOnly}
              onClick={() => setComments(frames.filter((g) => g.id !== f.id))}
              title="Remove frame"
            >
              ✕
            </button>
          </div>
          <textarea
            className="input"
            rows={3}
            value={f.text}
            disabled={readOnly}
            onChange={(e) => update(f.id, { text: e.target.value })}
            data-testid={`frame-${f.id}-text`}
          />
          <div className="form" style={{ gridTemplateColumns: '60px 1fr' }}>
            <label>x, y</label>
            <div className="row">
              <NumberInput
                value={f.x}
                disabled={readOnly}
                onChange={(v) => update(f.id, { x: v })}
              />
              <NumberInput
                value={f.y}
                disabled={readOnly}
                onChange={(v) => update(f.id, { y: v })}
              />
            </div>
            <label>size</label>
            <div className="row">
              <NumberInput
                value={f.width ?? 240}
                min={1}
                disabled={readOnly}
                onChange={(v) => update(f.id, { width: v })}
              />
              <NumberInput
                value={f.height ?? 120}
                min={1}
                disabled={readOnly}
                onChange={(v) => update(f.id, { height: v })}
              />
            </div>
          </div>
        </div>
      ))}
      {!readOnly && (
        <button className="btn" onClick={add} data-testid="frame-add">
          Add a comment frame
        </button>
      )}
    </div>
  );
}
