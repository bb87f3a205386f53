// The UI's one door to the desktop shell: a typed wrapper for every command of
// docs/ipc-contract.md, native dialogs and window events. This is the only module that
// imports `@tauri-apps/*`; the DTO types are generated from Rust into `./generated/`.

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import { confirm, open, save } from '@tauri-apps/plugin-dialog';
import type {
  AppInfo,
  ClusterScript,
  ClusterScriptInput,
  ClusterSweepItem,
  BarValues,
  ChartView,
  Heatmap,
  IndicatorInfo,
  MonteCarloDetail,
  Robustness,
  RunBreakdown,
  SweepInput,
  SweepPlan,
  SweepRowPage,
  SweepSummary,
  WalkForwardDetail,
  AppSettings,
  Dataset,
  DatasetPreview,
  ExampleInfo,
  GraphJson,
  Inbox,
  IpcError,
  NodeSpec,
  PaperRunDetail,
  PaperRunSummary,
  PaperStartInput,
  Problem,
  Profile,
  Progress,
  RunCompare,
  RunDetail,
  RunSummary,
  Strategy,
  StrategyCreated,
  StrategyFilter,
  StrategyStatus,
  StrategySummary,
  SyncConfigInput,
  SyncStatus,
  SyncSummary,
  SyncTestResult,
  TradePage,
  User,
  VersionDetail,
  VersionSummary,
  Visibility,
  TemplateItem,
  TemplateDetailItem,
  ReviewItem,
  PublishInput,
  PublishResult,
  CohortItem,
  CheckItem,
  PendingPublish,
  PreflightInput,
  TemplateVersion,
} from './generated';

export type * from './generated';

/** A graph as the editor holds it: the typed document, possibly with extra keys. */
export type GraphArg = GraphJson | Record<string, unknown>;

/** How a Monte Carlo resamples a run's trades. */
export type MonteCarloMethod = 'shuffle' | 'bootstrap';

/** Chart kinds of `runChart` / `chartExport` (`indicator`: one node output in a pane). */
export type ChartKind = 'equity' | 'drawdown' | 'price' | 'indicator';

/** True when `e` is an `IpcError` as the backend sends it. */
export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

/**
 * Turns whatever a command rejected with into an `IpcError`. Arguments that the shell
 * cannot even deserialize are rejected by Tauri with a plain string: they become `invalid`.
 */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  const message = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
  return { code: 'invalid', message };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

function progressChannel(onProgress?: (p: Progress) => void): Channel<Progress> {
  const ch = new Channel<Progress>();
  ch.onmessage = (p) => onProgress?.(p);
  return ch;
}

/** Every backend command, camelCase, typed. Errors are thrown as `IpcError`. */
export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  catalog: () => call<NodeSpec[]>('catalog'),
  validateGraph: (graph: GraphArg) => call<Problem[]>('validate_graph', { graph }),
  profileGet: () => call<Profile>('profile_get'),
  profileUpdate: (displayName: string, email: string) =>
    call<User>('profile_update', { displayName, email }),
  settingsGet: () => call<AppSettings>('settings_get'),
  settingsPut: (settings: AppSettings) => call<AppSettings>('settings_put', { settings }),

  strategiesList: (filter: StrategyFilter = {}) =>
    call<StrategySummary[]>('strategies_list', { filter }),
  strategyCreate: (title: string, example?: string) =>
    call<StrategyCreated>('strategy_create', { title, example }),
  strategyDuplicate: (id: string) => call<Strategy>('strategy_duplicate', { id }),
  strategyRename: (id: string, value: string) => call<Strategy>('strategy_rename', { id, value }),
  strategySetTags: (id: string, value: string[]) =>
    call<Strategy>('strategy_set_tags', { id, value }),
  strategySetStatus: (id: string, value: StrategyStatus) =>
    call<Strategy>('strategy_set_status', { id, value }),
  strategySetVisibility: (id: string, value: Visibility) =>
    call<Strategy>('strategy_set_visibility', { id, value }),
  strategyDelete: (id: string) => call<void>('strategy_delete', { id }),
  strategyImport: (path: string) => call<Strategy>('strategy_import', { path }),
  strategyExport: (id: string, path: string) => call<void>('strategy_export', { id, path }),

  versionsList: (strategyId: string) => call<VersionSummary[]>('versions_list', { strategyId }),
  versionGet: (strategyId: string, version: number) =>
    call<VersionDetail>('version_get', { strategyId, version }),
  versionSave: (strategyId: string, graph: GraphArg, note: string) =>
    call<VersionSummary>('version_save', { strategyId, graph, note }),
  draftGet: (strategyId: string) => call<GraphJson | null>('draft_get', { strategyId }),
  draftPut: (strategyId: string, graph: GraphArg) => call<void>('draft_put', { strategyId, graph }),
  draftClear: (strategyId: string) => call<void>('draft_clear', { strategyId }),
  examplesList: () => call<ExampleInfo[]>('examples_list'),

  datasetsList: () => call<Dataset[]>('datasets_list'),
  datasetPreview: (path: string) => call<DatasetPreview>('dataset_preview', { path }),
  /** Imports a CSV; the first progress message carries the `jobId` for `jobCancel`. */
  datasetImport: (
    args: { path: string; name: string; symbol: string; timeframe: string },
    onProgress?: (p: Progress) => void,
  ) => call<Dataset>('dataset_import', { ...args, onProgress: progressChannel(onProgress) }),
  datasetRename: (id: string, name: string) => call<Dataset>('dataset_rename', { id, name }),
  datasetDelete: (id: string) => call<void>('dataset_delete', { id }),

  /** Runs a backtest; the first progress message carries the `jobId` for `jobCancel`. */
  runBacktest: (
    args: {
      strategyId: string;
      version: number;
      datasetId: string;
      params: Record<string, number>;
    },
    onProgress?: (p: Progress) => void,
  ) => call<RunDetail>('run_backtest', { ...args, onProgress: progressChannel(onProgress) }),
  /** Asks a job to stop; resolves `false` when it had already finished. */
  jobCancel: (jobId: string) => call<boolean>('job_cancel', { jobId }),
  runsList: (strategyId?: string) => call<RunSummary[]>('runs_list', { strategyId }),
  runGet: (runId: string) => call<RunDetail>('run_get', { runId }),
  /** One page of a run's closed trades, sorted over all of them by the backend. */
  runTrades: (args: {
    runId: string;
    offset: number;
    limit?: number;
    sortKey?: string;
    desc?: boolean;
  }) => call<TradePage>('run_trades', args),
  runDelete: (runId: string) => call<void>('run_delete', { runId }),
  runCompare: (runIdA: string, runIdB: string) =>
    call<RunCompare>('run_compare', { runIdA, runIdB }),
  /** Every wire's value at one bar of a run, with the bar's time. */
  nodeValues: (runId: string, bar: number) => call<BarValues>('node_values', { runId, bar }),
  /** A chart drawn by `crates/report` (`price` without its dataset: trades only) with where
   * its plot lies, the values under each pixel column and the trade markers. `indicators`:
   * outputs (`node.port`) over the prices; `series`: the output of an `indicator` pane. */
  runChart: (args: {
    runId: string;
    kind: ChartKind;
    from?: number;
    to?: number;
    width: number;
    height: number;
    indicators?: string[];
    series?: string;
  }) => call<ChartView>('run_chart', args),
  /** The node outputs of a run the price chart can draw, with their default place and levels. */
  runIndicators: (runId: string) => call<IndicatorInfo[]>('run_indicators', { runId }),
  /** Writes the run's self-contained HTML report to `path` (atomically). */
  runExportHtml: (runId: string, path: string) => call<void>('run_export_html', { runId, path }),
  /** Writes one chart of a run as a PNG or SVG file (atomically). */
  chartExport: (args: {
    runId: string;
    kind: ChartKind;
    format: 'png' | 'svg';
    path: string;
    from?: number;
    to?: number;
    indicators?: string[];
    series?: string;
  }) => call<void>('chart_export', args),

  /** How many combinations a sweep would run (checked as the sweep checks it). */
  sweepPlan: (strategyId: string, version: number, spec: SweepInput) =>
    call<SweepPlan>('sweep_plan', { strategyId, version, spec }),
  /** Runs a sweep on all cores and stores it; progress counts combinations, the first message
   * carries the `jobId` for `jobCancel` (a cancelled sweep keeps its finished rows). */
  sweepStart: (
    args: { strategyId: string; version: number; datasetId: string; spec: SweepInput },
    onProgress?: (p: Progress) => void,
  ) => call<SweepSummary>('sweep_start', { ...args, onProgress: progressChannel(onProgress) }),
  sweepsList: (strategyId?: string) => call<SweepSummary[]>('sweeps_list', { strategyId }),
  /** The script that runs a sweep as shards on Slurm (sbatch job array) or Kubernetes
   * (Indexed Job); with `toServer`, the shards write their rows to the shared server. */
  clusterScript: (input: ClusterScriptInput) => call<ClusterScript>('cluster_script', { input }),
  /** The user's cluster sweeps on the shared server, with their progress. */
  clusterSweeps: () => call<ClusterSweepItem[]>('cluster_sweeps'),
  /** A complete cluster sweep launched here, stored and returned like a local sweep. */
  clusterSweepOpen: (sweepId: string) => call<SweepSummary>('cluster_sweep_open', { sweepId }),
  sweepGet: (sweepId: string) => call<SweepSummary>('sweep_get', { sweepId }),
  /** One page of a sweep's rows, sorted by a metric over all of them (best first unless `asc`). */
  sweepRows: (args: {
    sweepId: string;
    sort?: string;
    asc?: boolean;
    offset?: number;
    limit?: number;
  }) => call<SweepRowPage>('sweep_rows', args),
  /** The heatmap of a metric over two swept parameters (SVG by `crates/report`, with cells). */
  sweepHeatmap: (args: {
    sweepId: string;
    x: string;
    y: string;
    metric?: string;
    width?: number;
    height?: number;
  }) => call<Heatmap>('sweep_heatmap', args),
  sweepDelete: (sweepId: string) => call<void>('sweep_delete', { sweepId }),
  /** Walk-forward analysis; progress counts windows. */
  walkForward: (
    args: {
      strategyId: string;
      version: number;
      datasetId: string;
      spec: SweepInput;
      train: number;
      test: number;
      anchored: boolean;
    },
    onProgress?: (p: Progress) => void,
  ) =>
    call<WalkForwardDetail>('walk_forward', { ...args, onProgress: progressChannel(onProgress) }),
  /** Monte Carlo of a stored run's closed trades (1,000 runs by default). */
  monteCarlo: (runId: string, method: MonteCarloMethod, runs?: number, seed?: number) =>
    call<MonteCarloDetail>('monte_carlo', { runId, method, runs, seed }),
  /** PSR and Deflated Sharpe ratio with the strategy's trial count, and warnings. */
  runRobustness: (runId: string) => call<Robustness>('run_robustness', { runId }),
  /** Long/short split, monthly returns and each trade's run-up and drawdown (recomputed). */
  runBreakdown: (runId: string) => call<RunBreakdown>('run_breakdown', { runId }),

  /** Saves the sync server (the password, write-only, goes to the OS keyring only). */
  syncConfigure: (config: SyncConfigInput) => call<SyncStatus>('sync_configure', { config }),
  /** Connects to the configured server and reports reachability, role and schema. */
  syncTest: () => call<SyncTestResult>('sync_test'),
  /** Where this device stands (does not contact the server). */
  syncStatus: () => call<SyncStatus>('sync_status'),
  /** Push then pull; the first progress message carries the `jobId` for `jobCancel`. */
  syncNow: (onProgress?: (p: Progress) => void) =>
    call<SyncSummary>('sync_now', { onProgress: progressChannel(onProgress) }),
  /** Background sync on/off and its interval (60 s to 86,400 s). */
  syncSetAuto: (enabled: boolean, intervalSecs: number) =>
    call<SyncStatus>('sync_set_auto', { enabled, intervalSecs }),
  /** Marks the unread sync-conflict notifications read. */
  syncConflictsRead: () => call<SyncStatus>('sync_conflicts_read'),
  /** Starts paper trading a version (the app drives it in the background). */
  paperStart: (input: PaperStartInput) => call<PaperRunSummary>('paper_start', { input }),
  paperList: () => call<PaperRunSummary[]>('paper_list'),
  paperGet: (id: string) => call<PaperRunDetail>('paper_get', { id }),
  /** `running` (resume; `decision` fill/skip for a late order), `paused` or `stopped`. */
  paperSetStatus: (id: string, status: string, decision?: string) =>
    call<PaperRunSummary>('paper_set_status', { id, status, decision: decision ?? null }),
  /** Backtest on the bars the run saw; the first difference and its cause. */
  paperReconcile: (id: string) => call<unknown>('paper_reconcile', { id }),
  /** Unread count and the latest notifications, unread first. */
  notificationsList: (limit?: number) =>
    call<Inbox>('notifications_list', { limit: limit ?? null }),
  /** Marks one notification read, or all when `id` is omitted. */
  notificationsMarkRead: (id?: string) =>
    call<Inbox>('notifications_mark_read', { id: id ?? null }),
  /** Templates the shared server shows you (`mine`: only yours). */
  templatesList: (mine: boolean) => call<TemplateItem[]>('templates_list', { mine }),
  templateShow: (id: string) => call<TemplateDetailItem>('template_show', { id }),
  /** Pushes, then submits a version for review; returns the automatic checks. Offline, the
   * submission waits in the outbox (`queued`) and is sent after the next sync. */
  templatePublish: (input: PublishInput) => call<PublishResult>('template_publish', { input }),
  /** The automatic checks computed here, before anything is sent. */
  templatePreflight: (input: PreflightInput) => call<CheckItem[]>('template_preflight', { input }),
  /** Submissions waiting in the outbox. */
  templatesPending: () => call<PendingPublish[]>('templates_pending'),
  /** A version's graph as the server shows it to you (template preview, review, diff). */
  templateVersion: (versionId: string) => call<TemplateVersion>('template_version', { versionId }),
  /** Clones into your library (pulled at once); returns the new strategy's id. */
  templateClone: (id: string) => call<string>('template_clone', { id }),
  templateWithdraw: (id: string) => call<null>('template_withdraw', { id }),
  /** Open reviews with their checks (reviewers). */
  reviewQueue: () => call<ReviewItem[]>('review_queue'),
  reviewDecide: (id: string, approve: boolean, reason: string) =>
    call<null>('review_decide', { id, approve, reason }),
  cohortsList: () => call<CohortItem[]>('cohorts_list'),
  cohortCreate: (name: string) => call<string>('cohort_create', { name }),
  cohortAdd: (cohort: string, members: string[]) =>
    call<string[]>('cohort_add', { cohort, members }),
  adminGrant: (user: string, role: string, revoke: boolean) =>
    call<string[]>('admin_grant', { user, role, revoke }),
};

export type Api = typeof api;

/** Native file dialogs and confirmations. */
export const dialogs = {
  openFile: async (title: string, extensions: string[]): Promise<string | null> => {
    const r = await open({ title, multiple: false, filters: [{ name: title, extensions }] });
    return typeof r === 'string' ? r : null;
  },
  saveFile: async (
    title: string,
    defaultPath: string,
    extensions: string[],
  ): Promise<string | null> => {
    const r = await save({ title, defaultPath, filters: [{ name: title, extensions }] });
    return r ?? null;
  },
  confirm: async (message: string, title = 'Stratagraph'): Promise<boolean> => {
    try {
      return await confirm(message, { title, kind: 'warning' });
    } catch {
      return window.confirm(message);
    }
  },
};

/** Calls `handler` when the user tries to close the window; it returns false to keep it open. */
export async function onWindowCloseRequested(handler: () => Promise<boolean>): Promise<() => void> {
  try {
    const win = getCurrentWindow();
    return await win.onCloseRequested(async (event) => {
      if (!(await handler())) event.preventDefault();
    });
  } catch {
    return () => {};
  }
}

/** Calls `handler` when the backend emits `name` (`paper-changed`, `inbox-changed`). */
export async function onBackendEvent(name: string, handler: () => void): Promise<() => void> {
  try {
    return await listen(name, () => handler());
  } catch {
    return () => {};
  }
}
