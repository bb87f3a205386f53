import { beforeEach, describe, expect, it, vi } from 'vitest';

const backend = vi.hoisted(() => ({
  answer: true,
  asked: [] as string[],
  drafts: [] as string[],
}));

vi.mock('../ipc', () => ({
  api: {
    draftPut: async (id: string) => {
      backend.drafts.push(id);
    },
  },
  dialogs: {
    confirm: async (message: string) => {
      backend.asked.push(message);
      return backend.answer;
    },
  },
}));

const { confirmClose } = await import('./actions');
const { useEditor } = await import('../features/editor/store');
const { useSession } = await import('../features/editor/session');

beforeEach(() => {
  backend.answer = true;
  backend.asked = [];
  backend.drafts = [];
  useSession.setState({ strategyId: 's1', title: 'Trend' });
  useEditor.setState({ revision: 0, savedRevision: 0 });
});

describe('closing the window', () => {
  it('closes without asking when nothing is unsaved', async () => {
    expect(await confirmClose()).toBe(true);
    expect(backend.asked).toEqual([]);
  });

  it('closes without asking when no strategy is open', async () => {
    useSession.setState({ strategyId: null });
    useEditor.setState({ revision: 3 });
    expect(await confirmClose()).toBe(true);
    expect(backend.asked).toEqual([]);
  });

  it('asks with unsaved changes; yes keeps them as a draft and closes', async () => {
    useEditor.setState({ revision: 2 });
    expect(await confirmClose()).toBe(true);
    expect(backend.asked).toHaveLength(1);
    expect(backend.asked[0]).toContain('Trend');
    expect(backend.drafts).toEqual(['s1']);
  });

  it('no keeps the window open and writes nothing', async () => {
    useEditor.setState({ revision: 2 });
    backend.answer = false;
    expect(await confirmClose()).toBe(false);
    expect(backend.drafts).toEqual([]);
  });
});
