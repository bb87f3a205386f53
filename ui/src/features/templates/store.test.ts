// The templates store: the gallery leaves out your own templates, a clone reloads, a decision
// needs a reason, server refusals are shown in words, submissions waiting in the outbox are
// listed, a preview and a review load the graphs the server shows, and who cloned is asked.

import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({
  calls: [] as unknown[][],
  fail: null as unknown,
  pending: [] as unknown[],
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
    templatesPending: async () => backend.pending,
    templateVersion: async (versionId: string) => {
      backend.calls.push(['version', versionId]);
      return {
        versionId,
        contentHash: 'h',
        graph: {
          schema: 1,
          nodes: [{ id: versionId, kind: 'source.close', params: {}, note: 'Read me' }],
          edges: [],
          parameters: [],
          settings: { initial_cash: 1, commission: 0.001, slippage_bps: 0, fractional: false },
        },
      };
    },
    templateShow: async (id: string) => ({
      template: item(id, 'Shared'),
      description: 'A lesson',
      reviews: [],
      clonedBy: ['u1', 'u2'],
      referenceRun: {
        runId: 'run1',
        metrics: { trades: 150 },
        equity: [
          [0, 100],
          [1, 90],
        ] as [number, number][],
        drawdown: [
          [0, 0],
          [1, -10],
        ] as [number, number][],
      },
    }),
  },
}));

const { useTemplates } = await import('./store');

beforeEach(() => {
  backend.calls = [];
  backend.fail = null;
  backend.pending = [];
  useTemplates.setState({
    gallery: [],
    mine: [],
    pending: [],
    queue: [],
    error: null,
    clonedStrategyId: null,
    preview: null,
    review: null,
    clonedBy: {},
  });
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

  it('lists the submissions waiting in the outbox', async () => {
    backend.pending = [
      { id: 'q1', title: 'Offline', audience: 'public', versionId: 'v', queuedAt: 'now' },
    ];
    await useTemplates.getState().load();
    expect(useTemplates.getState().pending.map((p) => p.title)).toEqual(['Offline']);
  });

  it('previews the version the audience sees, with its notes and reference run', async () => {
    await useTemplates.getState().openPreview(item('t1', 'Shared'));
    const p = useTemplates.getState().preview;
    expect(backend.calls).toEqual([['version', 'v']]);
    expect(p?.doc.nodes[0]?.note).toBe('Read me');
    expect(p?.detail?.description).toBe('A lesson');
    expect(p?.detail?.referenceRun?.drawdown[1]).toEqual([1, -10]);
  });

  it('opens a review with the approved version to diff against', async () => {
    const review = {
      id: 'r1',
      templateId: 't1',
      title: 'Lesson',
      educatorId: 'e',
      versionId: 'v2',
      contentHash: 'h',
      approvedVersionId: 'v1',
      status: 'open',
      reason: null,
      checks: [],
      referenceRun: null,
      submittedAt: 'now',
    };
    await useTemplates.getState().openReview(review);
    const r = useTemplates.getState().review;
    expect(r?.submitted.nodes[0]?.id).toBe('v2');
    expect(r?.approved?.nodes[0]?.id).toBe('v1');
    await useTemplates.getState().openReview({ ...review, id: 'r2', approvedVersionId: null });
    expect(useTemplates.getState().review?.approved).toBeNull();
  });

  it('asks who cloned a template', async () => {
    await useTemplates.getState().loadClonedBy('t2');
    expect(useTemplates.getState().clonedBy).toEqual({ t2: ['u1', 'u2'] });
  });
});
