// Settings → Sync: the connection form (the password is write-only: sent once to the OS
// keyring, never read back), the connection test, sync on demand with progress and cancel,
// the background sync switch and the status (last sync, pending changes, conflicts, last
// error). The store is built over an injected IPC so tests can fake it.

import { create } from 'zustand';
import { api } from '../../ipc';
import type {
  IpcError,
  Progress,
  SyncConfigInput,
  SyncStatus,
  SyncSummary,
  SyncTestResult,
  SyncTls,
} from '../../ipc';

/** The commands the sync section uses (the real `api` or a test fake). */
export interface SyncIpc {
  syncConfigure: (config: SyncConfigInput) => Promise<SyncStatus>;
  syncTest: () => Promise<SyncTestResult>;
  syncStatus: () => Promise<SyncStatus>;
  syncNow: (onProgress?: (p: Progress) => void) => Promise<SyncSummary>;
  syncSetAuto: (enabled: boolean, intervalSecs: number) => Promise<SyncStatus>;
  syncConflictsRead: () => Promise<SyncStatus>;
  jobCancel: (jobId: string) => Promise<boolean>;
}

/** The form as typed (the port and interval as text until validated). */
export interface SyncForm {
  host: string;
  port: string;
  database: string;
  user: string;
  tls: SyncTls;
  includeRunDetails: boolean;
  /** Write-only: empty keeps the saved password. */
  password: string;
}

export type FormErrors = Partial<Record<keyof SyncForm, string>>;

export const TLS_MODES: { value: SyncTls; label: string }[] = [
  { value: 'disable', label: 'Off (local or private network)' },
  { value: 'prefer', label: 'Prefer TLS' },
  { value: 'require', label: 'Require TLS' },
  { value: 'verify-full', label: 'Require TLS, verify certificate' },
];

export const EMPTY_FORM: SyncForm = {
  host: '',
  port: '5432',
  database: '',
  user: '',
  tls: 'prefer',
  includeRunDetails: false,
  password: '',
};

/** Problems of the form by field (empty = valid). */
export function validateForm(f: SyncForm): FormErrors {
  const errors: FormErrors = {};
  const host = f.host.trim();
  if (!host) errors.host = 'Enter the server’s host name or address';
  else if (/\s/.test(host) || host.length > 255) errors.host = 'Not a valid host name';
  const port = Number(f.port.trim());
  if (!/^\d+$/.test(f.port.trim()) || port < 1 || port > 65535)
    errors.port = 'A port is a whole number from 1 to 65535';
  if (!f.database.trim()) errors.database = 'Enter the database name';
  else if (f.database.length > 255) errors.database = 'At most 255 characters';
  if (!f.user.trim()) errors.user = 'Enter the login role';
  else if (f.user.length > 255) errors.user = 'At most 255 characters';
  return errors;
}

/** The background interval in minutes as typed → seconds, or null when out of range. */
export function intervalSecs(minutes: string): number | null {
  const t = minutes.trim();
  if (!/^\d+$/.test(t)) return null;
  const m = Number(t);
  return m >= 1 && m <= 1440 ? m * 60 : null;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** The status bar's short line, or null when no server is configured. */
export function indicatorText(
  status: SyncStatus | null,
  running: boolean,
  now = Date.now(),
): { text: string; tone: 'ok' | 'busy' | 'warn' | 'off' } | null {
  if (!status?.configured) return null;
  const conflicts = status.unreadConflicts
    ? ` · ${status.unreadConflicts} conflict${status.unreadConflicts === 1 ? '' : 's'}`
    : '';
  if (running) return { text: 'syncing…', tone: 'busy' };
  if (status.lastError) {
    const offline = /^(Cannot reach|The connection to the server was lost)/.test(status.lastError);
    return { text: (offline ? 'sync offline' : 'sync failed') + conflicts, tone: 'off' };
  }
  if (status.pending > 0)
    return { text: `${status.pending} pending${conflicts}`, tone: conflicts ? 'warn' : 'busy' };
  if (!status.lastSyncAt) return { text: `never synced${conflicts}`, tone: 'warn' };
  return {
    text: `synced ${ago(status.lastSyncAt, now)}${conflicts}`,
    tone: conflicts ? 'warn' : 'ok',
  };
}

function formFrom(status: SyncStatus): SyncForm {
  const s = status.server;
  if (!s) return { ...EMPTY_FORM };
  return {
    host: s.host,
    port: String(s.port),
    database: s.database,
    user: s.user,
    tls: s.tls,
    includeRunDetails: s.includeRunDetails,
    password: '',
  };
}

function message(e: unknown): string {
  const err = e as Partial<IpcError> | undefined;
  return err && typeof err === 'object' && typeof err.message === 'string'
    ? err.message
    : String(e);
}

function code(e: unknown): string {
  const err = e as Partial<IpcError> | undefined;
  return err && typeof err === 'object' && typeof err.code === 'string' ? err.code : 'invalid';
}

export type TestState =
  | { kind: 'idle' }
  | { kind: 'testing' }
  | { kind: 'ok'; text: string }
  | { kind: 'failed'; code: string; text: string };

export interface SyncJob {
  kind: 'idle' | 'running' | 'cancelling';
  jobId: string | null;
  progress: Progress | null;
}

export interface SyncState {
  status: SyncStatus | null;
  form: SyncForm;
  /** The form differs from what was loaded (reloads then keep the user's typing). */
  edited: boolean;
  errors: FormErrors;
  saving: boolean;
  saveError: string | null;
  test: TestState;
  job: SyncJob;
  /** The outcome of the last sync started here, in words. */
  result: { ok: boolean; text: string } | null;
  intervalMinutes: string;
  intervalError: string | null;
  /** Loading the status failed (shown in the section). */
  loadError: string | null;
  load: () => Promise<void>;
  setField: <K extends keyof SyncForm>(key: K, value: SyncForm[K]) => void;
  save: () => Promise<boolean>;
  testConnection: () => Promise<void>;
  syncNow: () => Promise<void>;
  cancel: () => Promise<void>;
  setIntervalMinutes: (v: string) => void;
  setAuto: (enabled: boolean) => Promise<void>;
  readConflicts: () => Promise<void>;
}

const IDLE_JOB: SyncJob = { kind: 'idle', jobId: null, progress: null };

/** Builds the sync store over `ipc`. */
export function createSyncStore(ipc: SyncIpc) {
  return create<SyncState>()((set, get) => {
    const applyStatus = (status: SyncStatus) =>
      set((s) => ({
        status,
        loadError: null,
        ...(s.edited ? {} : { form: { ...formFrom(status), password: s.form.password } }),
        ...(s.intervalError
          ? {}
          : { intervalMinutes: String(Math.round(status.intervalSecs / 60)) }),
      }));
    return {
      status: null,
      form: { ...EMPTY_FORM },
      edited: false,
      errors: {},
      saving: false,
      saveError: null,
      test: { kind: 'idle' },
      job: IDLE_JOB,
      result: null,
      intervalMinutes: '5',
      intervalError: null,
      loadError: null,
      load: async () => {
        try {
          applyStatus(await ipc.syncStatus());
        } catch (e) {
          set({ loadError: message(e) });
        }
      },
      setField: (key, value) =>
        set((s) => {
          const errors = { ...s.errors };
          delete errors[key];
          return { form: { ...s.form, [key]: value }, edited: true, errors, saveError: null };
        }),
      save: async () => {
        const { form } = get();
        const errors = validateForm(form);
        set({ errors, saveError: null });
        if (Object.keys(errors).length) return false;
        set({ saving: true });
        const config: SyncConfigInput = {
          host: form.host.trim(),
          port: Number(form.port.trim()),
          database: form.database.trim(),
          user: form.user.trim(),
          tls: form.tls,
          includeRunDetails: form.includeRunDetails,
          ...(form.password ? { password: form.password } : {}),
        };
        try {
          const status = await ipc.syncConfigure(config);
          // The password is gone from the UI once the keyring has it.
          set({ edited: false, saving: false, form: { ...form, password: '' } });
          applyStatus(status);
        } catch (e) {
          set({ saving: false, saveError: message(e) });
          return false;
        }
        // Offline first: saved either way; the test says whether the server answers.
        await get().testConnection();
        return true;
      },
      testConnection: async () => {
        set({ test: { kind: 'testing' } });
        try {
          const r = await ipc.syncTest();
          set({ test: { kind: 'ok', text: r.message } });
        } catch (e) {
          set({ test: { kind: 'failed', code: code(e), text: message(e) } });
        }
      },
      syncNow: async () => {
        if (get().job.kind !== 'idle') return;
        set({ job: { kind: 'running', jobId: null, progress: null }, result: null });
        try {
          const summary = await ipc.syncNow((p) =>
            set((s) => ({
              job: { ...s.job, jobId: p.jobId, progress: p },
            })),
          );
          set({ result: { ok: true, text: summary.message } });
        } catch (e) {
          set({
            result: {
              ok: false,
              text: code(e) === 'cancelled' ? 'Sync cancelled.' : message(e),
            },
          });
        } finally {
          set({ job: IDLE_JOB });
        }
        await get().load();
      },
      cancel: async () => {
        const { job } = get();
        if (job.kind !== 'running' || !job.jobId) return;
        set({ job: { ...job, kind: 'cancelling' } });
        await ipc.jobCancel(job.jobId).catch(() => false);
      },
      setIntervalMinutes: (v) =>
        set({
          intervalMinutes: v,
          intervalError: intervalSecs(v) === null ? 'From 1 to 1440 minutes' : null,
        }),
      setAuto: async (enabled) => {
        const secs = intervalSecs(get().intervalMinutes);
        if (secs === null) {
          set({ intervalError: 'From 1 to 1440 minutes' });
          return;
        }
        try {
          applyStatus(await ipc.syncSetAuto(enabled, secs));
        } catch (e) {
          set({ result: { ok: false, text: message(e) } });
        }
      },
      readConflicts: async () => {
        try {
          applyStatus(await ipc.syncConflictsRead());
        } catch (e) {
          set({ result: { ok: false, text: message(e) } });
        }
      },
    };
  });
}

/** The app's sync store over the real IPC. */
export const useSync = createSyncStore(api);
