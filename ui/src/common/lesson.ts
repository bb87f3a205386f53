// Lesson content of a graph (docs/graph-format.md, "Lessons"): notes on nodes, free comment
// frames on the canvas, and strategy parameters an educator marks as locked or as exercises.
// None of it is meaning: it never changes a run's hash.

import type { GraphDoc, ParamDecl } from './graphDoc';

export type LessonMark = 'locked' | 'exercise';

export interface CommentFrame {
  id: string;
  text: string;
  x: number;
  y: number;
  width?: number;
  height?: number;
}

export interface LessonNote {
  /** The node's id, or `null` for a comment frame. */
  node: string | null;
  text: string;
}

/** The graph's comment frames (a malformed list reads as none); any part of the document
 * that holds its `comments` will do. */
export function commentFrames(doc: Readonly<Record<string, unknown>>): CommentFrame[] {
  const list = doc.comments;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (c): c is CommentFrame =>
      !!c &&
      typeof c === 'object' &&
      typeof (c as CommentFrame).id === 'string' &&
      typeof (c as CommentFrame).text === 'string' &&
      typeof (c as CommentFrame).x === 'number' &&
      typeof (c as CommentFrame).y === 'number',
  );
}

/** Every piece of lesson text: comment frames first (top to bottom), then node notes. */
export function lessonNotes(doc: GraphDoc): LessonNote[] {
  const frames = [...commentFrames(doc)]
    .sort((a, b) => a.y - b.y || a.x - b.x)
    .map((c) => ({ node: null, text: c.text }));
  const notes = doc.nodes
    .filter((n) => typeof n.note === 'string' && (n.note as string).trim() !== '')
    .map((n) => ({ node: n.id, text: n.note as string }));
  return [...frames, ...notes];
}

/** How the lesson treats a parameter, if it marks it. */
export function lessonMark(p: ParamDecl | undefined): LessonMark | null {
  return p?.lesson === 'locked' || p?.lesson === 'exercise' ? p.lesson : null;
}

/** The parameter `name` of the graph, if declared. */
export function paramDecl(doc: GraphDoc, name: string): ParamDecl | undefined {
  return doc.parameters.find((p) => p.name === name);
}

/** The parameters with `name` marked (or unmarked with `null`). */
export function markParameter(
  parameters: readonly ParamDecl[],
  name: string,
  mark: LessonMark | null,
): ParamDecl[] {
  return parameters.map((p) => {
    if (p.name !== name) return p;
    const rest = { ...p };
    delete rest.lesson;
    return mark ? { ...rest, lesson: mark } : rest;
  });
}

/** The graph with `name` marked (or unmarked with `null`). */
export function withLessonMark(doc: GraphDoc, name: string, mark: LessonMark | null): GraphDoc {
  return { ...doc, parameters: markParameter(doc.parameters, name, mark) };
}
