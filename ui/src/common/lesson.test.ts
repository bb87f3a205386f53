// Lesson content: notes and frames read in order, malformed frames skipped, marks set and
// cleared without touching the rest of the document.

import { describe, expect, it } from 'vitest';
import { emptyGraph, type GraphDoc } from './graphDoc';
import { commentFrames, lessonMark, lessonNotes, paramDecl, withLessonMark } from './lesson';

function lessonDoc(): GraphDoc {
  return {
    ...emptyGraph(),
    nodes: [
      { id: 'close', kind: 'source.close', params: {}, note: 'Every close' },
      { id: 'fast', kind: 'indicator.sma', params: {}, note: '  ' },
    ],
    parameters: [
      { name: 'fast', type: 'int', default: 10, lesson: 'exercise' },
      { name: 'slow', type: 'int', default: 30 },
    ],
    comments: [
      { id: 'b', text: 'Second', x: 0, y: 200 },
      { id: 'a', text: 'First', x: 0, y: 0 },
      { id: 'bad', text: 3, x: 0, y: 0 },
    ],
  };
}

describe('lesson content', () => {
  it('lists frames top to bottom, then the nodes with a note', () => {
    const doc = lessonDoc();
    expect(commentFrames(doc).map((c) => c.id)).toEqual(['b', 'a']);
    expect(lessonNotes(doc)).toEqual([
      { node: null, text: 'First' },
      { node: null, text: 'Second' },
      { node: 'close', text: 'Every close' },
    ]);
    expect(lessonNotes(emptyGraph())).toEqual([]);
  });

  it('reads and sets locked and exercise marks', () => {
    const doc = lessonDoc();
    expect(lessonMark(paramDecl(doc, 'fast'))).toBe('exercise');
    expect(lessonMark(paramDecl(doc, 'slow'))).toBeNull();
    expect(lessonMark(paramDecl(doc, 'none'))).toBeNull();
    const locked = withLessonMark(doc, 'slow', 'locked');
    expect(lessonMark(paramDecl(locked, 'slow'))).toBe('locked');
    const cleared = withLessonMark(locked, 'fast', null);
    expect(paramDecl(cleared, 'fast')).toEqual({ name: 'fast', type: 'int', default: 10 });
    expect(cleared.comments).toBe(doc.comments);
  });
});
