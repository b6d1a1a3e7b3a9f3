// Drives VS Code's built-in notebook editor (code-server, headless Chromium) on a .ipynb, as a
// person would: open it with Quick Open, look at the squiggle and the inlay hints in the cells,
// hover a layer, Ctrl+. on the error and pick the quick fix. No Jupyter extension, no kernel.
// Run by test_vscode_notebook.py: `node vscode_notebook_driver.cjs CONFIG.json`; it only
// observes and writes what it saw to config.result (JSON); the assertions are in Python.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { chromium } = createRequire(path.join(config.toolsDir, 'package.json'))('playwright-core');

const result = { steps: [], console: [] };
const t0 = Date.now();
const step = (name, value) => {
  result.steps.push({ name, at_ms: Date.now() - t0 });
  if (value !== undefined) result[name] = value;
};
const save = () => fs.writeFileSync(config.result, JSON.stringify(result, null, 1));

/** Cells, their editors, squiggles and inlay hints (computed in the page). */
const NOTEBOOK_HELPERS = `
  window.__nb = {
    plain(text) { return text.replace(/\\u00a0/g, ' '); },
    rows() { return [...document.querySelectorAll('.notebook-editor .cell-list-container .monaco-list-row')]; },
    cellIndex(el) {
      const row = el.closest('.monaco-list-row');
      return row ? Number(row.getAttribute('data-index')) : null;
    },
    editorOf(el) { return el.closest('.monaco-editor'); },
    lineOf(editor, el) {
      let c = el;
      while (c && !(c.parentElement && /(^| )(view-overlays|view-lines)( |$)/.test(c.parentElement.className))) c = c.parentElement;
      if (!c) return null;
      const top = c.style.top;
      const lines = [...editor.querySelectorAll('.view-lines > .view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
      const i = lines.findIndex((d) => d.style.top === top);
      return i < 0 ? null : i;  // 0-based line in the cell (cells are short: every line is rendered)
    },
    lineEl(editor, n) {
      return [...editor.querySelectorAll('.view-lines > .view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))[n];
    },
    textNodes(line) {
      const nodes = [];
      const walk = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.parentElement.closest('[class*="dyn-rule"], [class*="inlay"]')) nodes.push(n);
      }
      return nodes;
    },
    columnAt(line, x) {
      let col = 0, best = null, bestDist = Infinity;
      const range = document.createRange();
      for (const node of this.textNodes(line)) {
        for (let i = 0; i <= node.length; i++) {
          range.setStart(node, i); range.setEnd(node, i);
          const dist = Math.abs(range.getBoundingClientRect().left - x);
          if (dist < bestDist) { bestDist = dist; best = col + i; }
        }
        col += node.length;
      }
      return best;
    },
    squiggles(kind) {
      return [...document.querySelectorAll('.notebook-editor .monaco-editor .squiggly-' + kind)].map((s) => {
        const editor = this.editorOf(s);
        const line = this.lineOf(editor, s);
        const r = s.getBoundingClientRect();
        const el = this.lineEl(editor, line);
        return { cell: this.cellIndex(s), line, startCol: el ? this.columnAt(el, r.left) : null,
                 endCol: el ? this.columnAt(el, r.right) : null };
      });
    },
    inlayHints() {
      return [...document.querySelectorAll('.notebook-editor .view-lines span[class*="dyn-rule"], .notebook-editor .view-lines span[class*="inlay"]')]
        .map((s) => ({ cell: this.cellIndex(s), line: this.lineOf(this.editorOf(s), s), text: this.plain(s.textContent) }))
        .filter((h) => h.text.trim());
    },
    /** The page coordinates of the middle of a character (0-based line and column of a cell). */
    pointAt(index, line, col) {
      const row = this.rows().find((r) => Number(r.getAttribute('data-index')) === index);
      const editor = row && row.querySelector('.monaco-editor');
      const el = editor && this.lineEl(editor, line);
      if (!el) return null;
      let at = col;
      for (const node of this.textNodes(el)) {
        if (at < node.length) {
          const range = document.createRange();
          range.setStart(node, at); range.setEnd(node, at + 1);
          const r = range.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
        at -= node.length;
      }
      return null;
    },
    cellText(index) {
      const row = this.rows().find((r) => Number(r.getAttribute('data-index')) === index);
      const editor = row && row.querySelector('.monaco-editor');
      if (!editor) return null;
      const lines = [...editor.querySelectorAll('.view-lines > .view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
      return lines.map((l) => this.plain(this.textNodes(l).map((n) => n.textContent).join(''))).join('\\n');
    },
  };
`;

async function main() {
  const context = await chromium.launchPersistentContext(config.profileDir, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  try {
    page.setDefaultTimeout(config.timeoutMs);
    page.on('console', (m) => { if (m.type() === 'error') result.console.push(m.text().slice(0, 500)); });
    const shot = async (name) => {
      const file = path.join(config.outputDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    };

    await page.goto(`${config.url}/?folder=${encodeURIComponent(config.workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor();
    await page.evaluate(NOTEBOOK_HELPERS);
    step('workbench');

    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(config.file);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: config.file }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.notebook-editor .cell-list-container .monaco-list-row').first().waitFor({ state: 'attached' });
    step('opened');

    // 1. the squiggle, in the right cell on the right characters
    await page.locator('.notebook-editor .monaco-editor .squiggly-error').first().waitFor();
    step('squiggle_shown');
    await page.waitForTimeout(300);
    step('squiggles', await page.evaluate(() => window.__nb.squiggles('error')));

    // 2. inlay hints in the cells
    await page.waitForFunction((label) => window.__nb.inlayHints().some((h) => h.text.includes(label)),
                               config.hintLabel).catch(() => undefined);
    step('inlay_hints', await page.evaluate(() => window.__nb.inlayHints()));

    // 3. a hover on a layer: the mouse over the first Conv2D
    // The cell's layout settles first: the model's code lens above its first line arrives after the
    // diagnostics and moves every line of the cell down (a point taken before it lands one line up).
    await page.waitForFunction((c) => {
      const row = window.__nb.rows().find((r) => Number(r.getAttribute('data-index')) === c.hoverCell);
      return !!(row && row.querySelector('.codelens-decoration'));
    }, config).catch(() => undefined);
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: config.hoverShape });
    for (let attempt = 1; attempt <= 3; attempt++) {
      let at = null;
      for (let i = 0; i < 20; i++) {  // the same point twice, 250 ms apart: nothing moves any more
        const first = await page.evaluate((c) => window.__nb.pointAt(c.hoverCell, c.hoverLine, c.hoverColumn), config);
        await page.waitForTimeout(250);
        at = await page.evaluate((c) => window.__nb.pointAt(c.hoverCell, c.hoverLine, c.hoverColumn), config);
        if (first && at && first.x === at.x && first.y === at.y) break;
      }
      step('hover_point', { attempt, at });
      await page.mouse.move(at.x, at.y);
      const shown = await hover.first().waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (shown) break;
      await page.mouse.move(5, 5);  // a hover taken while the layout still moved: leave and come back
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(500);
    step('hover', await page.locator('.monaco-hover:not(.hidden)').allInnerTexts());
    step('screenshot_hover', await shot('notebook-hover'));
    await page.mouse.move(5, 5);

    // 4. the quick fix: click on the squiggled call, Ctrl+., pick the fix
    const bad = await page.evaluate((c) => window.__nb.pointAt(c.errorCell, 0, c.errorColumn), config);
    await page.mouse.click(bad.x, bad.y);
    await page.waitForTimeout(200);
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: config.fixTitle });
    await fix.first().waitFor();
    step('fix_menu', await page.locator('.action-widget .monaco-list-row').allInnerTexts());
    for (let i = 0; i < 5; i++) {
      const focused = await page.locator('.action-widget .monaco-list-row.focused').first().innerText().catch(() => '');
      if (focused.includes(config.fixTitle)) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__nb.squiggles('error').length === 0).catch(() => undefined);
    await page.waitForTimeout(1000); // a late publish would bring a squiggle back
    step('squiggles_after_fix', await page.evaluate(() => window.__nb.squiggles('error')));
    step('fixed_cell', await page.evaluate((i) => window.__nb.cellText(i), config.errorCell));
    step('other_cells', await page.evaluate((n) => [...Array(n).keys()].map((i) => window.__nb.cellText(i)), config.cellCount));
    step('screenshot_fixed', await shot('notebook-fixed'));
    step('done');
  } catch (error) {
    await page.screenshot({ path: path.join(config.outputDir, 'failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

main().then(() => { save(); }, (error) => {
  result.error = String(error && error.stack || error);
  save();
  process.exitCode = 3;
});
