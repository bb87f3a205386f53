// Issue 12's acceptance in the real app: an educator, a reviewer and a student, each with a
// data directory of their own, against a fresh database on the test PostgreSQL server.
// The educator sees the automatic checks before sending, publishes a lesson (node notes, a
// comment frame, a locked and an exercise parameter); the reviewer opens it read-only with
// its notes and its reference run's metrics and equity curve, and approves it with a
// reason; the student previews it (graph, notes, comment frame), clones it, finds its origin
// in the library, cannot edit the locked parameter and sees the exercise highlighted; the
// educator then sees the clone count and who cloned.
//
// The server is set up with the `stratagraph` CLI (`sync configure`, `sync migrate`,
// `admin grant`) and psql (the users), as an administrator would. Each app runs in its own
// tauri-driver session with its own STRATAGRAPH_DATA_DIR, one after the other.
//
// Environment: STRATAGRAPH_E2E_APP (the app), STRATAGRAPH_E2E_CLI (the CLI),
// STRATAGRAPH_TEST_PG_PORT (default 5432; trust authentication on 127.0.0.1), E2E_ARTIFACTS.
// Prints "N passed, N failed" and exits non-zero on any failure.
import { remote } from 'webdriverio';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = process.env.STRATAGRAPH_E2E_APP;
const CLI = process.env.STRATAGRAPH_E2E_CLI;
const PG_PORT = process.env.STRATAGRAPH_TEST_PG_PORT ?? '5432';
const OUT = process.env.E2E_ARTIFACTS ?? join(ROOT, 'artifacts/e2e');
mkdirSync(OUT, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), 'sg-e2e-edu-'));
const DB = `sg_e2e_${Math.floor(Date.now() / 1000)}_${randomUUID().slice(0, 8)}`;
const TITLE = 'SMA crossover lesson';

const results = [];
const roles = [];
let browser;
let driver;

function psql(db, sql) {
  return execFileSync(
    'psql',
    ['-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql],
    { encoding: 'utf8' },
  ).trim();
}

/** The CLI on the administrator's own database file. */
function cli(...args) {
  return execFileSync(CLI, ['--db', join(WORK, 'admin.db'), ...args], { encoding: 'utf8' });
}

/** A user `sg_e2e_<random>` with `userRoles`; returns its login role, user id and e-mail. */
function provision(userRoles) {
  const role = `sg_e2e_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const id = randomUUID();
  const email = `${role}@example.com`;
  const list = userRoles.map((r) => `'${r}'`).join(', ');
  psql(DB, `SELECT sg_provision_user('${role}', 'pw-${role}', '${id}', '${email}', '${role}', ARRAY[${list}]::text[])`);
  roles.push(role);
  return { role, id, email };
}

async function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function portOpen(port) {
  return new Promise((ok) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.end();
      ok(true);
    });
    c.on('error', () => ok(false));
  });
}

/** Starts the app for `who` (its own data directory) through a tauri-driver of its own. */
async function start(who) {
  const home = join(WORK, who);
  const env = {
    ...process.env,
    STRATAGRAPH_DATA_DIR: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'xdg-data'),
    XDG_CACHE_HOME: join(home, 'cache'),
  };
  mkdirSync(env.XDG_CONFIG_HOME, { recursive: true });
  for (let attempt = 1; attempt <= 3 && !browser; attempt++) {
    const [port, native] = [await freePort(), await freePort()];
    driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(native)], {
      env,
      stdio: 'ignore',
    });
    // tauri-driver forwards a new session to the WebKitWebDriver it starts on `native`: wait
    // for both, or the first request can meet a closed socket on a loaded machine.
    for (const p of [port, native]) {
      for (let i = 0; i < 300 && !(await portOpen(p)); i++) await new Promise((r) => setTimeout(r, 100));
    }
    try {
      browser = await remote({
        hostname: '127.0.0.1',
        port,
        logLevel: 'warn',
        connectionRetryTimeout: 60_000,
        capabilities: { 'tauri:options': { application: APP } },
      });
    } catch (e) {
      console.log(`     tauri-driver attempt ${attempt} for ${who} failed: ${e?.message ?? e}`);
      driver.kill();
      driver = undefined;
    }
  }
  if (!browser) throw new Error(`cannot start the app for ${who}`);
  await until(async () => (await browser.getTitle()) === 'Stratagraph', 'the window', 30_000);
  await waitFor('app-ready', 30_000);
}

async function stop() {
  if (browser) await browser.deleteSession().catch(() => {});
  browser = undefined;
  if (driver) {
    driver.kill();
    await new Promise((r) => (driver.exitCode !== null ? r() : driver.once('exit', r)));
  }
  driver = undefined;
}

const tid = (id) => `[data-testid="${id}"]`;
const el = (id) => browser.$(tid(id));

async function until(fn, what, timeout = 15_000) {
  await browser.waitUntil(fn, { timeout, interval: 100, timeoutMsg: `${what} (after ${timeout} ms)` });
}

async function waitFor(id, timeout = 15_000) {
  const e = await el(id);
  await e.waitForDisplayed({ timeout, timeoutMsg: `${id} not shown within ${timeout} ms` });
  return e;
}

async function click(id, timeout = 15_000) {
  const e = await waitFor(id, timeout);
  await e.waitForClickable({ timeout: 10_000 });
  await e.click();
}

/** Calls a backend command from the page, as the UI does. */
async function invoke(cmd, args = {}) {
  const r = await browser.executeAsync((cmd, args, done) => {
    const t = window.__TAURI_INTERNALS__;
    if (args.onProgress === '__channel') args.onProgress = `__CHANNEL__:${t.transformCallback(() => {})}`;
    t.invoke(cmd, args).then((value) => done({ value }), (error) => done({ error }));
  }, cmd, args);
  if (r.error) throw new Error(`${cmd}: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Points this app at the test server as `role` and syncs once (the device takes the account);
 * `details`: the device also syncs run details (the curves the server shows with a template). */
async function joinServer(role, details = false) {
  await invoke('sync_configure', {
    config: { host: '127.0.0.1', port: Number(PG_PORT), database: DB, user: role, tls: 'disable', includeRunDetails: details },
  });
  await invoke('sync_now', { onProgress: '__channel' });
}

function capture(name) {
  try {
    execFileSync('import', ['-window', 'root', join(OUT, `${name}.png`)], { timeout: 30_000 });
  } catch (e) {
    console.log(`     (no screenshot: ${e?.message ?? e})`);
  }
}

async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    capture(`fail-edu-${name.replace(/\W+/g, '_')}`);
    throw e;
  }
}

async function texts(id) {
  const out = [];
  for (const e of await browser.$$(tid(id))) out.push(await e.getText());
  return out;
}

/** The example graph as a lesson: costs on, short averages, notes, a frame, marks. */
function lessonGraph() {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples/sma_crossover.json'), 'utf8'));
  g.settings.commission = 0.001;
  for (const p of g.parameters) {
    if (p.name === 'fast') Object.assign(p, { default: 3, lesson: 'exercise' });
    if (p.name === 'slow') Object.assign(p, { default: 8, lesson: 'locked' });
  }
  g.nodes.find((n) => n.id === 'close').note = 'Every bar’s close feeds both averages.';
  g.comments = [{ id: 'intro', text: 'Step 1: two moving averages of the close', x: -60, y: -160, width: 360, height: 100 }];
  return g;
}

async function main() {
  let educator;
  let reviewer;
  let student;
  await step('server: a fresh database, schema, users and roles', async () => {
    psql('test', `CREATE DATABASE ${DB}`);
    cli('sync', 'configure', '--host', '127.0.0.1', '--port', PG_PORT, '--database', DB, '--user', 'postgres', '--tls', 'disable');
    cli('sync', 'migrate');
    educator = provision(['trader']);
    reviewer = provision(['reviewer']);
    student = provision(['trader']);
    const granted = cli('admin', 'grant', educator.email, 'educator');
    if (!granted.includes('educator')) throw new Error(`admin grant said: ${granted}`);
  });

  await step('educator: the checks before sending, then publish for review', async () => {
    await start('educator');
    await joinServer(educator.role, true);
    const info = await invoke('app_info');
    const created = await invoke('strategy_create', { title: TITLE, example: null });
    const id = created.strategy.id;
    const saved = await invoke('version_save', { strategyId: id, graph: lessonGraph(), note: 'The lesson' });
    const run = await invoke('run_backtest', {
      strategyId: id, version: saved.version, datasetId: info.sampleDatasetId, params: null, onProgress: '__channel',
    });
    if (!(run.metrics?.trades >= 100)) throw new Error(`the reference run has ${run.metrics?.trades} trades`);
    await click('nav-templates');
    await waitFor('publish-form');
    const select = await waitFor('publish-strategy');
    await until(async () => (await select.getHTML()).includes(id), 'the lesson in the strategy list');
    await select.selectByAttribute('value', id);
    await (await waitFor('publish-title')).setValue(TITLE);
    await (await waitFor('publish-description')).setValue('Two moving averages; change the fast one.');
    // Before anything is sent: the five checks computed here, all passed.
    await until(async () => (await browser.$$(tid('preflight-checks-item'))).length === 5, 'five checks before sending');
    await until(async () => (await browser.$$(`${tid('preflight-checks-item')}[data-passed="true"]`)).length === 5,
      `all checks pass before sending: ${JSON.stringify(await texts('preflight-checks-item'))}`);
    capture('edu-01-preflight');
    await click('publish-submit');
    await waitFor('publish-sent', 30_000);
    const server = await texts('publish-checks-item');
    if (server.length !== 5 || server.some((t) => !t.startsWith('✓'))) throw new Error(`server checks: ${JSON.stringify(server)}`);
    await until(async () => (await texts('my-template')).some((t) => t.includes(TITLE) && t.includes('awaiting review')),
      'the template awaiting review in My templates');
    capture('edu-02-published');
    await stop();
  });

  await step('reviewer: opens the submission read-only with its notes and approves it', async () => {
    await start('reviewer');
    await joinServer(reviewer.role);
    // The Review tab appears once the profile says reviewer (read again on a view change).
    await click('nav-library');
    await click('nav-review', 20_000);
    await until(async () => (await texts('review-item')).some((t) => t.includes(TITLE)), 'the submission in the queue', 20_000);
    await click('review-open-button');
    await waitFor('review-graph', 20_000);
    await waitFor('node-fast');
    await waitFor('comment-intro');
    await until(async () => (await texts('lesson-note')).some((t) => t.includes('Every bar’s close')), 'the node note in the lesson');
    await until(async () => (await texts('review-reference-run')).some((t) => t.includes('reference run')), 'the reference run named');
    // The reference run as the server answers it: metrics, the equity curve and the drawdown.
    await waitFor('review-reference-equity');
    await waitFor('review-reference-drawdown');
    const summary = await (await waitFor('review-reference')).getText();
    if (!/Trades\s*18\d/.test(summary)) throw new Error(`reference run summary: ${summary}`);
    capture('edu-03-review-open');
    await (await waitFor('review-reason')).setValue('Costs on, more than 100 trades, no promises');
    await click('review-approve');
    await until(async () => (await browser.$$(tid('review-item'))).length === 0, 'the queue empty after approval', 20_000);
    await stop();
  });

  await step('student: previews the lesson, clones it, finds its origin and the lesson rules', async () => {
    await start('student');
    await joinServer(student.role);
    await click('nav-templates');
    await until(async () => (await texts('template-item')).some((t) => t.includes(TITLE)), 'the lesson in the gallery', 20_000);
    if (await (await el('nav-review')).isExisting()) throw new Error('a student is offered the Review tab');
    await click('template-preview-open');
    await waitFor('template-preview', 20_000);
    await waitFor('node-close');
    await waitFor('node-note-close');
    await waitFor('comment-intro');
    await until(async () => (await texts('lesson-params')).some((t) => t.includes('slow: locked') && t.includes('fast: exercise')),
      'the locked and exercise parameters listed');
    // The reference run's charts, read from the server (the student may not read the run).
    await waitFor('template-reference-equity', 20_000);
    await waitFor('template-reference-drawdown');
    const summary = await (await waitFor('template-reference')).getText();
    if (!/Trades\s*18\d/.test(summary)) throw new Error(`reference run in the preview: ${summary}`);
    capture('edu-04-preview');
    await click('template-preview-clone');
    await waitFor('templates-cloned', 30_000);
    await click('nav-library');
    await until(async () => (await texts('strategy-item')).some((t) => t.includes(TITLE)), 'the clone in the library', 20_000);
    const origin = (await texts('strategy-origin')).join('\n');
    if (!origin.includes('Cloned from template') || !origin.includes(TITLE)) throw new Error(`origin shown: ${origin}`);
    capture('edu-05-library-origin');
    for (const row of await browser.$$(tid('strategy-item'))) {
      if ((await row.getText()).includes(TITLE)) {
        await (await row.$(tid('strategy-open'))).click();
        break;
      }
    }
    await waitFor('node-fast', 20_000);
    await waitFor('comment-intro');
    await waitFor('node-note-close');
    await click('tab-params');
    const slow = await waitFor('parameter-slow');
    if ((await slow.getAttribute('data-lesson')) !== 'locked') throw new Error('slow is not marked locked');
    for (const i of await slow.$$('input')) {
      if (await i.isEnabled()) throw new Error('a locked parameter can be edited');
    }
    const fast = await waitFor('parameter-fast');
    if (!(await fast.getAttribute('class')).includes('exercise-param')) throw new Error('the exercise is not highlighted');
    await click('tab-inspect');
    await (await el('node-slow')).click();
    const period = await waitFor('field-period');
    if ((await period.getAttribute('data-lesson')) !== 'locked') throw new Error('the inspector does not show slow as locked');
    for (const i of await period.$$('input, select, button')) {
      if (await i.isEnabled()) throw new Error('the inspector lets a locked param be edited');
    }
    capture('edu-06-clone-locked');
    await stop();
    const count = psql(DB, `SELECT clone_count FROM template_shares WHERE metadata->>'title' = '${TITLE}'`);
    if (count !== '1') throw new Error(`clone_count on the server: ${count}`);
  });

  await step('educator: the clone count and who cloned', async () => {
    await start('educator');
    await click('nav-templates');
    await until(async () => (await texts('my-template')).some((t) => t.includes('approved') && t.includes('1 clone')),
      'approved with 1 clone', 20_000);
    await click('template-cloned-by-open');
    await until(async () => (await texts('template-cloned-by')).some((t) => t.includes(student.id)), 'the student among those who cloned');
    capture('edu-07-cloned-by');
    await stop();
  });
}

const t0 = Date.now();
try {
  if (!APP || !CLI) throw new Error('set STRATAGRAPH_E2E_APP and STRATAGRAPH_E2E_CLI');
  await main();
} catch (e) {
  if (!results.some((r) => !r.ok)) {
    results.push({ name: 'setup', ok: false });
    console.log(`FAIL setup: ${e?.message ?? e}`);
  }
} finally {
  await stop();
  try {
    psql('test', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    for (const r of roles) psql('test', `DROP ROLE IF EXISTS ${r}`);
  } catch (e) {
    console.log(`     (cleanup: ${e?.message ?? e})`);
  }
  rmSync(WORK, { recursive: true, force: true });
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`educators: ${passed} passed, ${failed} failed in ${Math.round((Date.now() - t0) / 1000)} s`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
