// A lesson's text beside its read-only graph: comment frames and node notes, and the
// parameters the educator locked or left as exercises.

import type { GraphDoc } from '../../common/graphDoc';
import { lessonMark, lessonNotes } from '../../common/lesson';

export function LessonNotes({ doc }: { doc: GraphDoc }) {
  const notes = lessonNotes(doc);
  const marked = doc.parameters.filter((p) => lessonMark(p));
  const { commission, slippage_bps: slippage } = doc.settings;
  return (
    <div data-testid="lesson-notes" style={{ fontSize: 12 }}>
      {notes.length === 0 && <p className="muted">No notes in this graph.</p>}
      <ul className="list">
        {notes.map((n, i) => (
          <li key={i} data-testid="lesson-note">
            {n.node ? <b className="mono">{n.node}: </b> : null}
            {n.text}
          </li>
        ))}
      </ul>
      {marked.length > 0 && (
        <p data-testid="lesson-params">
          {marked.map((p) => (
            <span key={p.name} className={`tag ${lessonMark(p) === 'exercise' ? 'exercise' : ''}`}>
              {p.name}: {lessonMark(p) === 'locked' ? 'locked' : 'exercise'}
            </span>
          ))}
        </p>
      )}
      <p className="muted">
        Costs: commission {commission}, slippage {slippage} bps
      </p>
    </div>
  );
}
