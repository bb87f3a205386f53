import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Progress, SyncConfigInput, SyncStatus } from '../../ipc';

vi.mock('../../ipc', () => ({ api: {} }));

const { ago, createSyncStore, EMPTY_FORM, indicatorText, intervalSecs, validateForm } =
  await import('./sync');
type SyncIpc = import('./sync').SyncIpc;

const BASE: SyncStatus = {
  configured: false,
  server: null,
  lastPushAt: null,
  lastPullAt: null,
  lastSyncAt: null,
  pending: 4,
  unreadConflicts: 0,
  conflicts: [],
  autoSync: false,
  intervalSecs: 300,
  backgroundActive: false,
  runningJobId: null,
  lastError: null,
};

/** A fake backend: records calls, answers from `state`, fails on demand. */
function fakeIpc() {
  const calls: { cmd: string; arg?: unknown }[] = [];
  let status: SyncStatus = { ...BASE };
  const fail: Record<string, { code: string; message: string } | undefined> = {};
  let release: (() => void) | null = null;
  const guard = (cmd: string) => {
    const f = fail[cmd];
    if (f) throw f;
  };
  const ipc: SyncIpc = {
    syncStatus: async () => {
      calls.push({ cmd: 'status' });
      guard('status');
      return status;
    },
    syncConfigure: async (config: SyncConfigInput) => {
      calls.push({ cmd: 'configure', arg: config });
      guard('configure');
      status = {
        ...status,
        configured: true,
        server: {
          host: config.host,
          port: config.port,
          database: config.database,
          user: config.user,
          tls: config.tls,
          includeRunDetails: config.includeRunDetails,
        },
      };
      return status;
    },
    syncTest: async () => {
      calls.push({ cmd: 'test' });
      guard('test');
      return {
        server: 'me@db:5432/strat',
        role: 'me',
        mappedUserId: null,
        schemaVersion: 3,
        appSchemaVersion: 3,
        schema: 'ok',
        message: 'The server is reachable; logged in as me; schema version 3, up to date.',
      };
    },
    syncNow: async (onProgress?: (p: Progress) => void) => {
      calls.push({ cmd: 'now' });
      onProgress?.({ jobId: 'job-1', done: 0, total: 0, stage: 'queued' });
      onProgress?.({ jobId: 'job-1', done: 2, total: 4, stage: 'pushing' });
      if (fail.hold) await new Promise<void>((r) => (release = r));
      guard('now');
      status = { ...status, pending: 0, lastSyncAt: '2026-03-02T10:00:00.000Z' };
      return {
        pushed: 4,
        pulled: 1,
        pulledDeletes: 0,
        notTaken: 0,
        conflicts: 0,
        detailsPushed: 0,
        detailsPulled: 0,
        elapsedMs: 12,
        message: 'Sent 4 changes, received 1 and 0 deletes.',
      };
    },
    syncSetAuto: async (enabled: boolean, secs: number) => {
      calls.push({ cmd: 'auto', arg: [enabled, secs] });
      guard('auto');
      status = { ...status, autoSync: enabled, intervalSecs: secs, backgroundActive: enabled };
      return status;
    },
    syncConflictsRead: async () => {
      calls.push({ cmd: 'read' });
      status = { ...status, unreadConflicts: 0, conflicts: [] };
      return status;
    },
    jobCancel: async (jobId: string) => {
      calls.push({ cmd: 'cancel', arg: jobId });
      fail.now = { code: 'cancelled', message: 'The sync was cancelled' };
      release?.();
      return true;
    },
  };
  return {
    ipc,
    calls,
    fail,
    setStatus: (s: Partial<SyncStatus>) => (status = { ...status, ...s }),
  };
}

const GOOD = { host: 'db.example.com', port: '5432', database: 'strat', user: 'me' };

describe('form validation', () => {
  it('accepts a complete form', () => {
    expect(validateForm({ ...EMPTY_FORM, ...GOOD })).toEqual({});
  });

  it('names every bad field', () => {
    const e = validateForm({ ...EMPTY_FORM, host: 'a b', port: '70000' });
    expect(Object.keys(e).sort()).toEqual(['database', 'host', 'port', 'user']);
    expect(validateForm({ ...EMPTY_FORM, ...GOOD, port: '0' }).port).toBeTruthy();
    expect(validateForm({ ...EMPTY_FORM, ...GOOD, port: '54x' }).port).toBeTruthy();
    expect(validateForm({ ...EMPTY_FORM, ...GOOD, host: '  ' }).host).toBeTruthy();
  });

  it('checks the interval in minutes', () => {
    expect(intervalSecs('5')).toBe(300);
    expect(intervalSecs('0')).toBeNull();
    expect(intervalSecs('1441')).toBeNull();
    expect(intervalSecs('2.5')).toBeNull();
  });
});

describe('sync store', () => {
  let fake: ReturnType<typeof fakeIpc>;
  let store: ReturnType<typeof createSyncStore>;
  beforeEach(() => {
    fake = fakeIpc();
    store = createSyncStore(fake.ipc);
  });

  it('does not call the backend with an invalid form', async () => {
    store.getState().setField('host', 'db.example.com');
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().errors.database).toBeTruthy();
    expect(fake.calls).toEqual([]);
    // Typing in a field clears its error.
    store.getState().setField('database', 'strat');
    expect(store.getState().errors.database).toBeUndefined();
  });

  it('saves, clears the password, then tests the connection', async () => {
    for (const [k, v] of Object.entries(GOOD)) store.getState().setField(k as 'host', v);
    store.getState().setField('password', 'hunter2');
    expect(await store.getState().save()).toBe(true);
    const sent = fake.calls[0]?.arg as SyncConfigInput;
    expect(sent).toMatchObject({ host: 'db.example.com', port: 5432, password: 'hunter2' });
    const s = store.getState();
    expect(s.form.password).toBe('');
    expect(s.edited).toBe(false);
    expect(s.status?.configured).toBe(true);
    expect(s.test).toEqual({ kind: 'ok', text: expect.stringContaining('reachable') });
    expect(JSON.stringify(s.status)).not.toContain('hunter2');
  });

  it('leaves the password out when the field is empty', async () => {
    for (const [k, v] of Object.entries(GOOD)) store.getState().setField(k as 'host', v);
    await store.getState().save();
    expect(fake.calls[0]?.arg).not.toHaveProperty('password');
  });

  it('keeps the form and shows a keyring error', async () => {
    fake.fail.configure = { code: 'keyring', message: 'The OS keyring is unavailable' };
    for (const [k, v] of Object.entries(GOOD)) store.getState().setField(k as 'host', v);
    store.getState().setField('password', 'hunter2');
    expect(await store.getState().save()).toBe(false);
    const s = store.getState();
    expect(s.saveError).toContain('keyring');
    expect(s.form.host).toBe('db.example.com');
    expect(s.saving).toBe(false);
    expect(fake.calls.map((c) => c.cmd)).toEqual(['configure']);
  });

  it('an unreachable server: saved, and the test says why', async () => {
    fake.fail.test = { code: 'unreachable', message: 'Cannot reach the server at db:5432.' };
    for (const [k, v] of Object.entries(GOOD)) store.getState().setField(k as 'host', v);
    expect(await store.getState().save()).toBe(true);
    expect(store.getState().test).toEqual({
      kind: 'failed',
      code: 'unreachable',
      text: 'Cannot reach the server at db:5432.',
    });
  });

  it('load fills the form from the saved server unless the user is typing', async () => {
    fake.setStatus({
      configured: true,
      server: {
        host: 'h',
        port: 6543,
        database: 'd',
        user: 'u',
        tls: 'require',
        includeRunDetails: true,
      },
    });
    await store.getState().load();
    expect(store.getState().form).toMatchObject({ host: 'h', port: '6543', tls: 'require' });
    store.getState().setField('host', 'typing');
    await store.getState().load();
    expect(store.getState().form.host).toBe('typing');
  });

  it('sync now: progress, then the result and fresh status', async () => {
    fake.setStatus({ configured: true });
    const seen: (string | undefined)[] = [];
    const stop = store.subscribe((s) => seen.push(s.job.progress?.stage));
    await store.getState().syncNow();
    stop();
    expect(seen).toContain('pushing');
    const s = store.getState();
    expect(s.job.kind).toBe('idle');
    expect(s.result).toEqual({ ok: true, text: expect.stringContaining('Sent 4') });
    expect(s.status?.pending).toBe(0);
  });

  it('cancel sends jobCancel with the job id and reports a cancelled sync', async () => {
    fake.fail.hold = { code: '', message: '' };
    const running = store.getState().syncNow();
    await vi.waitFor(() => expect(store.getState().job.jobId).toBe('job-1'));
    expect(store.getState().job.progress?.done).toBe(2);
    await store.getState().cancel();
    await running;
    expect(fake.calls.find((c) => c.cmd === 'cancel')?.arg).toBe('job-1');
    expect(store.getState().result).toEqual({ ok: false, text: 'Sync cancelled.' });
    expect(store.getState().job.kind).toBe('idle');
  });

  it('a failed sync shows the error', async () => {
    fake.fail.now = { code: 'auth', message: 'The server refused the login of me.' };
    await store.getState().syncNow();
    expect(store.getState().result).toEqual({
      ok: false,
      text: 'The server refused the login of me.',
    });
  });

  it('auto-sync sends the interval in seconds and refuses a bad one', async () => {
    store.getState().setIntervalMinutes('10');
    await store.getState().setAuto(true);
    expect(fake.calls.at(-1)).toEqual({ cmd: 'auto', arg: [true, 600] });
    expect(store.getState().status?.autoSync).toBe(true);
    store.getState().setIntervalMinutes('0');
    expect(store.getState().intervalError).toBeTruthy();
    const n = fake.calls.length;
    await store.getState().setAuto(true);
    expect(fake.calls.length).toBe(n);
  });

  it('marking conflicts read refreshes the status', async () => {
    fake.setStatus({
      unreadConflicts: 1,
      conflicts: [{ id: 'n1', strategyId: null, message: 'Version 2…', createdAt: 'x' }],
    });
    await store.getState().load();
    expect(store.getState().status?.conflicts).toHaveLength(1);
    await store.getState().readConflicts();
    expect(store.getState().status?.unreadConflicts).toBe(0);
  });

  it('a status that cannot be loaded is shown, not thrown', async () => {
    fake.fail.status = { code: 'storage', message: 'An internal database error occurred' };
    await store.getState().load();
    expect(store.getState().loadError).toContain('database');
  });
});

describe('status bar line', () => {
  const now = Date.parse('2026-03-02T10:05:00Z');
  const configured = { ...BASE, configured: true };

  it('is hidden until a server is configured', () => {
    expect(indicatorText(BASE, false, now)).toBeNull();
  });

  it('says synced, pending, offline, syncing', () => {
    expect(
      indicatorText({ ...configured, pending: 0, lastSyncAt: '2026-03-02T10:03:00Z' }, false, now)
        ?.text,
    ).toBe('synced 2 min ago');
    expect(indicatorText({ ...configured, pending: 3 }, false, now)?.text).toBe('3 pending');
    expect(
      indicatorText({ ...configured, lastError: 'Cannot reach the server at h:1.' }, false, now),
    ).toEqual({ text: 'sync offline', tone: 'off' });
    expect(indicatorText(configured, true, now)?.text).toBe('syncing…');
    expect(
      indicatorText({ ...configured, pending: 0, unreadConflicts: 2, lastSyncAt: null }, false, now)
        ?.text,
    ).toBe('never synced · 2 conflicts');
  });

  it('formats how long ago', () => {
    expect(ago(null)).toBe('never');
    expect(ago('2026-03-02T10:04:30Z', now)).toBe('just now');
    expect(ago('2026-03-02T07:00:00Z', now)).toBe('3 h ago');
    expect(ago('2026-02-28T10:00:00Z', now)).toBe('2 days ago');
  });
});
