// The strategy parameters panel and the account settings panel.

import { useState } from 'react';
import { NumberInput } from '../../shared/fields';
import { lessonMark, markParameter, type LessonMark } from '../../shared/lesson';
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
