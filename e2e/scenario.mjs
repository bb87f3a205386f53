// The new-user scenario of issue 5, on the real app through WebDriver (tauri-driver +
// WebKitWebDriver): first start shows the example; break an edge and see the node marked and
// the problem listed; fix it; save a version with a note; run a backtest and see metrics and
// trades; open the run history and compare two runs; restart and find everything still there.
// Prints "N passed, N failed" and exits non-zero on any failure.
import { remote } from 'webdriverio';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const APP = process.env.STRATAGRAPH_E2E_APP;
const OUT = process.env.E2E_ARTIFACTS ?? 'artifacts/e2e';
mkdirSync(OUT, { recursive: true });


/** RSS in MB of the app process and all its descendants (WebKit web and network processes). */
function appTreeRssMb() {
  const procs = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[0];
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      procs.push({ pid: Number(d), ppid, cmd, kb: rss ? Number(rss[1]) : 0 });
    } catch {
      // the process ended while we looked
    }
  }
  const roots = procs.filter((p) => p.cmd === APP);
  const tree = new Set(roots.map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  const kb = procs.filter((p) => tree.has(p.pid)).reduce((a, p) => a + p.kb, 0);
  return { mb: kb / 1024, processes: tree.size };
}

/** A valid 200-node graph: close → a chain of SMAs → a cross → an entry. */
function bigGraph(n) {
  const nodes = [{ id: 'close', kind: 'source.close', params: {} }];
  const edges = [];
  const chain = n - 3;
  for (let i = 0; i < chain; i++) {
    const from = i === 0 ? 'close' : `sma${i - 1}`;
    nodes.push({ id: `sma${i}`, kind: 'indicator.sma', params: { period: 2 + (i % 5) } });
    edges.push({ from, from_port: 'out', to: `sma${i}`, to_port: 'in' });
  }
  nodes.push({ id: 'up', kind: 'signal.cross_above', params: {} });
  nodes.push({ id: 'buy', kind: 'order.enter_long', params: { size: { equity_fraction: 1 } } });
  edges.push({ from: `sma${chain - 1}`, from_port: 'out', to: 'up', to_port: 'a' });
  edges.push({ from: 'close', from_port: 'out', to: 'up', to_port: 'b' });
  edges.push({ from: 'up', from_port: 'out', to: 'buy', to_port: 'when' });
  return { schema: 1, nodes, edges, parameters: [],
    settings: { initial_cash: 10000, commission: 0, slippage_bps: 0, fractional: false } };
}

const figures = {};

const results = [];
let browser;

async function start() {
  const t0 = Date.now();
  browser = await remote({
    hostname: '127.0.0.1',
    port: 4444,
    logLevel: 'warn',
    connectionRetryTimeout: 60_000,
    capabilities: { 'tauri:options': { application: APP } },
  });
  browser.setTimeout({ implicit: 0 });
  return t0;
}

async function stop() {
  if (browser) await browser.deleteSession().catch(() => {});
  browser = undefined;
}

const tid = (id) => `[data-testid="${id}"]`;
const el = (id) => browser.$(tid(id));

async function waitFor(id, timeout = 15_000) {
  const e = await el(id);
  await e.waitForDisplayed({ timeout, timeoutMsg: `${id} not shown within ${timeout} ms` });
  return e;
}

async function shot(name) {
  await browser.pause(1000); // a screenshot right after an action can show a stale frame
  await browser.saveScreenshot(join(OUT, `${name}.png`));
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
    if (browser) await browser.saveScreenshot(join(OUT, `fail-${name.replace(/\W+/g, '_')}.png`)).catch(() => {});
    throw e;
  }
}

const all = async (id) => browser.$$(tid(id));
async function texts(id) {
  const out = [];
  for (const e of await all(id)) out.push(await e.getText());
  return out;
}
const count = async (id) => (await all(id)).length;

async function until(fn, what, timeout = 15_000) {
  await browser.waitUntil(fn, { timeout, interval: 100, timeoutMsg: `${what} (after ${timeout} ms)` });
}

async function click(id) {
  const e = await waitFor(id);
  await e.waitForClickable({ timeout: 10_000 });
  await e.click();
}

/** Clicks a React Flow edge at the middle of its path (as a user would) to select it. */
async function clickEdge(edgeId) {
  const sel = `[data-testid="rf__edge-${edgeId}"] path`;
  await (await browser.$(sel)).waitForExist({ timeout: 10_000, timeoutMsg: `edge ${edgeId} not on the canvas` });
  const pt = await browser.execute((q) => {
    // The centre of a bezier edge's box lies on the curve (it is point-symmetric), and
    // getBoundingClientRect, unlike getScreenCTM in WebKit, includes the canvas's CSS zoom.
    const r = document.querySelector(q).getBoundingClientRect();
    return { x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2) };
  }, sel);
  await browser
    .action('pointer', { parameters: { pointerType: 'mouse' } })
    .move({ x: pt.x, y: pt.y, origin: 'viewport' })
    .down({ button: 0 })
    .up({ button: 0 })
    .perform();
}

async function runBacktestFromEditor(expectedRuns) {
  await click('nav-editor');
  await click('toolbar-run');
  await waitFor('run-result', 60_000);
  await click('open-results');
  await waitFor('results-view');
  await until(async () => (await count('run-row')) >= expectedRuns, `${expectedRuns} runs in the history`, 30_000);
}

async function main() {
  await step('app starts with its window', async () => {
    const t0 = await start();
    await until(async () => (await browser.getTitle()) === 'Stratagraph', 'window title is Stratagraph', 20_000);
    console.log(`     session + first page: ${Date.now() - t0} ms`);
  });

  await step('first start shows the example graph, valid', async () => {
    await waitFor('editor', 30_000);
    await waitFor('node-fast');
    await waitFor('node-golden_cross');
    await until(async () => (await count('problem-item')) === 0, 'no problems listed');
    await shot('01-editor-first-start');
  });

  await step('breaking an edge marks the node and lists the problem', async () => {
    await clickEdge('golden_cross:out->buy:when');
    await browser.keys('Delete');
    const node = await el('node-buy');
    await until(async () => /\bproblem\b/.test((await node.getAttribute('class')) ?? ''), 'buy marked as a problem');
    await until(async () => (await count('problem-item')) > 0, 'a problem listed');
    const items = await texts('problem-item');
    if (!items.some((t) => t.includes('buy'))) {
      throw new Error(`problems do not name the buy node: ${JSON.stringify(items)}`);
    }
    await shot('02-editor-broken-edge');
  });

  await step('undo fixes it', async () => {
    await click('undo');
    const node = await el('node-buy');
    await until(async () => !/\bproblem\b/.test((await node.getAttribute('class')) ?? ''), 'buy no longer marked');
    await until(async () => (await count('problem-item')) === 0, 'no problems listed');
  });

  await step('save a version with a note', async () => {
    // Move the fast SMA a little so there is something to save.
    const node = await el('node-fast');
    await node.dragAndDrop({ x: 0, y: 40 });
    await click('save-button');
    const note = await waitFor('save-note');
    await note.setValue('e2e: moved the fast SMA');
    await click('save-confirm');
    await until(async () => (await (await el('editor-title')).getText()).includes('v2') ||
      (await browser.$('body').getText()).includes('v2'), 'version 2 shown');
    await click('tab-versions');
    await until(async () => (await count('version-row')) === 2, 'two versions listed');
    const rows = await texts('version-row');
    if (!rows.some((t) => t.includes('e2e: moved the fast SMA'))) throw new Error(`note missing: ${rows}`);
  });

  await step('run a backtest: metrics and trades', async () => {
    const t = Date.now();
    await runBacktestFromEditor(1);
    figures.runToResultsMs = Date.now() - t;
    console.log(`     Run → results view: ${figures.runToResultsMs} ms`);
    await waitFor('metric-cards');
    await until(async () => (await count('trade-row')) > 0, 'trades in the table');
    await waitFor('trades-table');
    await shot('03-results');
  });

  await step('a second run, then compare the two from the history', async () => {
    await runBacktestFromEditor(2);
    const rows = await all('run-row');
    for (const r of rows.slice(0, 2)) await (await r.$('input[type="checkbox"]')).click();
    await click('runs-compare');
    await waitFor('compare-view');
    await shot('04-compare');
  });

  await step('restart: everything is still there', async () => {
    await stop();
    await start();
    await until(async () => (await browser.getTitle()) === 'Stratagraph', 'window title', 20_000);
    await click('nav-runs');
    await until(async () => (await count('run-row')) >= 2, 'two runs in the history after restart', 20_000);
    await click('nav-library');
    await waitFor('library');
    await until(async () => (await (await el('library')).getText()).includes('SMA crossover (example)'),
      'the example strategy in the library after restart');
    const open = await el('strategy-open');
    await ((await open.isExisting()) ? open : browser.$('button=Edit')).click();
    await waitFor('node-fast', 20_000);
    await click('tab-versions');
    await until(async () => (await count('version-row')) === 2, 'two versions after restart');
    await shot('05-after-restart');
  });

  await step('performance figures (validation round trip, idle memory)', async () => {
    const times = await browser.executeAsync((graph, done) => {
      const invoke = window.__TAURI_INTERNALS__.invoke;
      (async () => {
        const out = [];
        for (let i = 0; i < 30; i++) {
          const t = performance.now();
          const problems = await invoke('validate_graph', { graph });
          out.push(performance.now() - t);
          if (problems.length) return done({ error: JSON.stringify(problems[0]) });
        }
        done({ out });
      })().catch((e) => done({ error: String(e) }));
    }, bigGraph(200));
    if (times.error) throw new Error(`validate_graph failed: ${times.error}`);
    const sorted = [...times.out].sort((a, b) => a - b);
    figures.validate200MedianMs = sorted[Math.floor(sorted.length / 2)];
    console.log(`     validateGraph, 200 nodes, through IPC: median ${figures.validate200MedianMs.toFixed(1)} ms`);
    if (figures.validate200MedianMs > 20) throw new Error('validation round trip over 20 ms');
    await browser.pause(3000);
    const rss = appTreeRssMb();
    figures.idleRssMb = rss.mb;
    console.log(`     idle RSS of the app tree: ${rss.mb.toFixed(0)} MB in ${rss.processes} processes`);
    writeFileSync(join(OUT, 'figures.json'), JSON.stringify(figures, null, 2));
  });
}

try {
  await main();
} catch {
  // reported by step()
} finally {
  await stop();
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
