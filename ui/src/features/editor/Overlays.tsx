// The keyboard help overlay and the save-with-note dialog.

import { useEffect, useRef, useState } from 'react';

export const SHORTCUTS: [string, string][] = [
  ['Ctrl+S', 'Save a new version (with a note)'],
  ['Ctrl+Z', 'Undo'],
  ['Ctrl+Shift+Z / Ctrl+Y', 'Redo'],
  ['Ctrl+C / Ctrl+V', 'Copy / paste nodes'],
  ['Ctrl+D', 'Duplicate the selection'],
  ['Ctrl+A', 'Select all nodes'],
  ['Delete / Backspace', 'Delete the selection'],
  ['Shift+drag', 'Box-select several nodes'],
  ['F', 'Fit the graph in view'],
  ['L', 'Tidy layout (left to right)'],
  ['Ctrl+Enter', 'Run the backtest'],
  ['?', 'Show this help'],
  ['Esc', 'Close dialogs'],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-back" onClick={onClose} data-testid="help-overlay">
      <div className="modal" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <div className="help-grid">
          {SHORTCUTS.map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <div>
                {k.split(' / ').map((part, i) => (
                  <span key={part}>
                    {i > 0 && ' / '}
                    {part.split('+').map((p, j) => (
                      <span key={j}>
                        {j > 0 && '+'}
                        <span className="kbd">{p}</span>
                      </span>
                    ))}
                  </span>
                ))}
              </div>
              <div>{v}</div>
            </div>
          ))}
        </div>
        <p className="muted" style={{ marginBottom: 0 }}>
          Ports are colour-coded: <span style={{ color: 'var(--port-number)' }}>● number</span>,{' '}
          <span style={{ color: 'var(--port-bool)' }}>■ bool</span>,{' '}
          <span style={{ color: 'var(--port-scalar)' }}>◆ scalar</span> (a scalar may feed a number
          input). Wires that do not fit are refused while you drag.
        </p>
        <div className="actions">
          <button className="btn primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

export function SaveDialog({
  onSave,
  onClose,
  busy,
  then,
}: {
  onSave: (note: string) => void;
  onClose: () => void;
  busy: boolean;
  then?: string;
}) {
  const [note, setNote] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="modal-back" onClick={onClose}>
      <form
        className="modal"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          onSave(note.trim());
        }}
        data-testid="save-dialog"
      >
        <h2>Save a new version</h2>
        <input
          ref={ref}
          className="input"
          style={{ width: '100%' }}
          placeholder="What changed? (optional)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          data-testid="save-note"
        />
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy} data-testid="save-confirm">
            {busy ? 'Saving…' : then ? `Save & ${then}` : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}
