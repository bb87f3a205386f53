import { beforeEach, describe, expect, it, vi } from 'vitest';
import specs from '../../fixtures/catalog.json';
import sma from '../../fixtures/sma_crossover.json';
import type { NodeSpec } from '../../ipc/types';
import { parseGraph } from './graph';

// The session talks to the backend only through `ipc`; here it answers from memory.
const backend = vi.hoisted(() => ({
  versions: [] as {
    id: string;
    version: number;
    notes: string | null;
    createdAt: string;
    graph: unknown;
  }[],
  draft: null as unknown,
  saveError: null as unknown,
}));

vi.mock('../../ipc', () => ({
  api: {
    versionsList: async () =>
      backend.versions.map((v) => ({
        id: v.id,
        version: v.version,
        notes: v.notes,
        createdAt: v.createdAt,
      })),
    versionGet: async (_s: string, version: number) =>
      backend.versions.find((v) => v.version === version),
    versionSave: async (_s: string, graph: unknown, note: string) => {
      if (backend.saveError) throw backend.saveError;
      const v = {
        id: `v${backend.versions.length + 1}`,
        version: backend.versions.length + 1,
        notes: note,
        createdAt: 'now',
        graph: structuredClone(graph),
      };
      backend.versions.push(v);
      return { id: v.id, version: v.version, notes: note, createdAt: 'now' };
    },
    draftGet: async () => backend.draft,
    draftPut: async (_s: string, g: unknown) => {
      backend.draft = g;
    },
    draftClear: async () => {
      backend.draft = null;
    },
  },
  dialogs: { confirm: async () => true },
}));

const { cloneOrigin, useSession } = await import('./session');
const { useEditor } = await import('./store');

beforeEach(() => {
  backend.versions = [
    { id: 'v1', version: 1, notes: 'first', createdAt: 'then', graph: structuredClone(sma) },
  ];
  backend.draft = null;
  backend.saveError = null;
  useEditor.getState().setValidator(null);
  useEditor.getState().setCatalog(specs as NodeSpec[]);
});

describe('editor session', () => {
  it('opens the latest version clean', async () => {
    await useSession.getState().open('s1', 'SMA');
    expect(useEditor.getState().getDoc()).toEqual(sma);
    expect(useEditor.getState().isDirty()).toBe(false);
    expect(useSession.getState().baseVersion).toBe(1);
    expect(useSession.getState().restoredDraft).toBe(false);
  });

  it('restores a draft that differs from the saved version, marked unsaved', async () => {
    const draft = parseGraph(structuredClone(sma));
    draft.nodes[1]!.params.period = 7;
    backend.draft = draft;
    await useSession.getState().open('s1', 'SMA');
    expect(useEditor.getState().getDoc().nodes[1]!.params.period).toBe(7);
    expect(useEditor.getState().isDirty()).toBe(true);
    expect(useSession.getState().restoredDraft).toBe(true);
  });

  it('saves a new version with a note, clears the draft and becomes clean', async () => {
    await useSession.getState().open('s1', 'SMA');
    useEditor.getState().setParam('slow', 'period', 50);
    backend.draft = useEditor.getState().getDoc();
    expect(await useSession.getState().save('slower')).toBe(true);
    expect(backend.versions.at(-1)).toMatchObject({ version: 2, notes: 'slower' });
    expect((backend.versions.at(-1)!.graph as typeof sma).nodes[2]!.params.period).toBe(50);
    expect(backend.draft).toBeNull();
    expect(useEditor.getState().isDirty()).toBe(false);
    expect(useSession.getState().versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('keeps the graph dirty and marks problems when the backend refuses an invalid graph', async () => {
    await useSession.getState().open('s1', 'SMA');
    useEditor.getState().addNode('indicator.rsi');
    backend.saveError = {
      code: 'invalid_graph',
      message: 'invalid',
      problems: [{ code: 'dangling_input', node: 'rsi', port: 'in', message: 'no edge' }],
    };
    expect(await useSession.getState().save('x')).toBe(false);
    expect(useEditor.getState().isDirty()).toBe(true);
    expect(useEditor.getState().problemsByNode.rsi?.ports).toEqual(['in']);
  });

  it('restores an old version as a new one', async () => {
    const v2 = structuredClone(sma);
    v2.nodes.pop();
    backend.versions.push({ id: 'v2', version: 2, notes: 'smaller', createdAt: 'now', graph: v2 });
    await useSession.getState().open('s1', 'SMA');
    expect(useEditor.getState().getDoc().nodes).toHaveLength(6);
    await useSession.getState().restore(1);
    expect(backend.versions.at(-1)).toMatchObject({ version: 3, notes: 'Restored from version 1' });
    expect(useEditor.getState().getDoc()).toEqual(sma);
    expect(useSession.getState().baseVersion).toBe(3);
  });

  it('loads two versions for a diff', async () => {
    const v2 = parseGraph(structuredClone(sma));
    v2.nodes[1]!.params.period = 3;
    backend.versions.push({ id: 'v2', version: 2, notes: null, createdAt: 'now', graph: v2 });
    await useSession.getState().open('s1', 'SMA');
    await useSession.getState().showDiff(1, 2);
    expect(useSession.getState().diff?.docB.nodes[1]!.params.period).toBe(3);
  });

  it('knows a clone by the attribution of its first version', () => {
    const v = (version: number, notes: string | null) => ({
      id: `v${version}`,
      version,
      notes,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const note = 'Cloned from template "Lesson" (template t, version v, author a, hash h)';
    expect(cloneOrigin([v(2, 'mine'), v(1, note)])).toBe(note);
    expect(cloneOrigin([v(1, 'First draft')])).toBeNull();
    expect(cloneOrigin([])).toBeNull();
  });
});
