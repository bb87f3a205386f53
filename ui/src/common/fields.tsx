// Small form controls shared by the inspector and the panels.

import { useEffect, useState } from 'react';

/** A number box that keeps what the user types and reports only valid numbers. */
export function NumberInput({
  value,
  onChange,
  min,
  max,
  step,
  integer,
  disabled,
  testId,
}: {
  value: number | undefined;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  step?: number;
  integer?: boolean;
  disabled?: boolean;
  testId?: string;
}) {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    setText((t) =>
      Number(t) === value && t.trim() !== '' ? t : value === undefined ? '' : String(value),
    );
  }, [value]);
  const n = Number(text);
  const bad =
    text.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    (min !== undefined && n < min) ||
    (max !== undefined && n > max);
  return (
    <input
      className={`input${bad ? ' bad' : ''}`}
      type="number"
      value={text}
      min={min}
      max={max}
      step={step ?? (integer ? 1 : 'any')}
      disabled={disabled}
      data-testid={testId}
      title={
        bad
          ? `Enter ${integer ? 'a whole number' : 'a number'}${min !== undefined ? ` ≥ ${min}` : ''}${max !== undefined ? ` ≤ ${max}` : ''}`
          : undefined
      }
      onChange={(e) => {
        setText(e.target.value);
        const v = Number(e.target.value);
        if (e.target.value.trim() !== '' && Number.isFinite(v)) onChange(v);
      }}
    />
  );
}
