// The templates store: the gallery leaves out your own templates, a clone reloads, a decision
// needs a reason, and server refusals are shown in words.

import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({
  calls: [] as unknown[][],
  fail: null as unknown,
}));

const item = (id: string, title: string) => ({
  id,
  title,
  audience: 'public',
  cohort: null,
  educatorId: 'e',
  versionId: 'v',
  cloneCount: 0,
  state: 'approved',
  underReview: false,
});

vi.mock('../../ipc', () => ({
  api: {
    templatesList: async (mine: boolean) =>
      mine ? [item('t2', 'Mine')] : [item('t1', 'Shared'), item('t2', 'Mine')],
    templateClone: async (id: string) => {
      backend.calls.push(['clone', id]);
      return 's9';
    },
    reviewQueue: async () => {
      if (backend.fail) throw backend.fail;
      return [];
    },
    reviewDecide: async (id: string, approve: boolean, reason: string) => {
      backend.calls.push(['decide', id, approve, reason]);
      return null;
    },
  },
}));

const { useTemplates } = await import('./store');

beforeEach(() => {
  backend.calls = [];
  backend.fail = null;
  useTemplates.setState({ gallery: [], mine: [], queue: [], error: null, clonedStrategyId: null });
});

describe('templates store', () => {
  it('shows others’ templates in the gallery and yours apart', async () => {
    await useTemplates.getState().load();
    expect(useTemplates.getState().gallery.map((t) => t.id)).toEqual(['t1']);
    expect(useTemplates.getState().mine.map((t) => t.id)).toEqual(['t2']);
  });

  it('clones and remembers the new strategy', async () => {
    expect(await useTemplates.getState().clone('t1')).toBe('s9');
    expect(backend.calls).toEqual([['clone', 't1']]);
    expect(useTemplates.getState().clonedStrategyId).toBe('s9');
  });

  it('refuses a decision without a reason before asking the server', async () => {
    expect(await useTemplates.getState().decide('r1', false, '  ')).toBe(false);
    expect(backend.calls).toEqual([]);
    expect(useTemplates.getState().error).toMatch(/reason/);
    expect(await useTemplates.getState().decide('r1', false, ' Promises returns ')).toBe(true);
    expect(backend.calls).toEqual([['decide', 'r1', false, 'Promises returns']]);
  });

  it('shows a server refusal in words', async () => {
    backend.fail = { code: 'forbidden', message: 'the review queue needs the reviewer role' };
    await useTemplates.getState().loadQueue();
    expect(useTemplates.getState().error).toBe('the review queue needs the reviewer role');
  });
});
