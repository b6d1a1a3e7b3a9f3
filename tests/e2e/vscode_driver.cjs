// Drives the real VS Code workbench (code-server) in headless Chromium with Playwright, as a
// person would: keyboard shortcuts, the Command Palette, the Problems panel. Run by
// test_vscode.py: `node vscode_driver.cjs CONFIG.json`. It only observes and takes
// screenshots; it writes what it saw to config.result (JSON) and the assertions are in Python.
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

/** The active editor's DOM, line numbers and columns (all computed in the page). */
const EDITOR_HELPERS = `
  window.__e2e = {
    /** The editor renders spaces as no-break spaces. */
    plain(text) {
      return text.replace(/\u00a0/g, ' ');
    },
    editor() {
      return document.querySelector('.editor-group-container.active .monaco-editor:not(.hidden)')
        || document.querySelector('.monaco-editor');
    },
    lineNumberAt(top) {
      for (const d of this.editor().querySelectorAll('.margin-view-overlays > div')) {
        if (d.style.top === top) return Number(d.textContent.trim());
      }
      return null;
    },
    container(el) {
      while (el && !(el.parentElement && /(^| )(view-overlays|view-lines)( |$)/.test(el.parentElement.className))) {
        el = el.parentElement;
      }
      return el;
    },
    viewLine(lineNumber) {
      for (const d of this.editor().querySelectorAll('.view-lines > .view-line')) {
        if (this.lineNumberAt(d.style.top) === lineNumber) return d;
      }
      return null;
    },
    /** The source text of a view line (inlay hints are rendered in their own spans; left out). */
    textNodes(line) {
      const nodes = [];
      const walk = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.parentElement.closest('[class*="dyn-rule"], [class*="inlay"]')) nodes.push(n);
      }
      return nodes;
    },
    /** 0-based column whose left edge is nearest to x on that line. */
    columnAt(lineNumber, x) {
      const line = this.viewLine(lineNumber);
      if (!line) return null;
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
      return [...this.editor().querySelectorAll('.squiggly-' + kind)].map((s) => {
        const line = this.lineNumberAt(this.container(s).style.top);
        const r = s.getBoundingClientRect();
        return { line, startCol: this.columnAt(line, r.left), endCol: this.columnAt(line, r.right) };
      });
    },
    /** Inlay hints: the rendered text of the editor's inlay-hint spans, with their line. */
    inlayHints() {
      return [...this.editor().querySelectorAll('.view-lines span[class*="dyn-rule"], .view-lines span[class*="inlay"]')]
        .map((s) => ({ line: this.lineNumberAt(this.container(s).style.top), text: this.plain(s.textContent),
                       className: s.className }))
        .filter((h) => h.text.trim());
    },
  };
`;

async function main() {
  const context = await chromium.launchPersistentContext(config.profileDir, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1280, height: 760 },
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
    const palette = async (title) => {
      // F1 is the workbench's other "Show All Commands" key: with Chromium 156 Ctrl+Shift+P
      // did not always open the palette, so the driver tries both; and when the focus is in a
      // part that keeps the keys (the Output panel), it focuses the active editor first
      const input = page.locator('.quick-input-widget input');
      const open = async () => {
        for (const key of ['F1', 'Control+Shift+P']) {
          await page.keyboard.press(key);
          if (await input.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) return true;
        }
        return false;
      };
      // the palette can also close again at once (the live summary view taking the focus when
      // an analysis lands): open and type again, three times at most
      for (let attempt = 1; ; attempt++) {
        if (!(await open())) {
          await page.keyboard.press('Escape');
          await page.locator('.editor-group-container.active .tab.active').first().click().catch(() => undefined);
          if (!(await open())) throw new Error('the command palette does not open (F1, Ctrl+Shift+P)');
        }
        try {
          await input.fill('>' + title, { timeout: 5000 });
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
      // the command of exactly this name (not "Preferences: Open User Settings (JSON)", which
      // the palette may list first once it has been used)
      const exact = new RegExp('^\\s*' + title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\s*$');
      const row = page.locator('.quick-input-list .monaco-list-row')
        .filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
      await row.waitFor();
      await row.click();
    };

    await page.goto(`${config.url}/?folder=${encodeURIComponent(config.workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor();
    await page.evaluate(EDITOR_HELPERS);
    step('workbench');

    // Open the fixture with Quick Open, as a person would.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(config.file);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: config.file }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`.tab[data-resource-name="${config.file}"]`).waitFor();
    await page.locator('.monaco-editor .view-lines').first().waitFor();
    step('opened');

    // 1. the error squiggle, on the right line and columns
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: config.timeoutMs });
    step('squiggle_shown');
    await page.waitForTimeout(300); // let the rendering settle before measuring
    step('squiggles', await page.evaluate(() => window.__e2e.squiggles('error')));

    // 2. inlay hints (rendered after the diagnostics' analysis; wait for the expected label)
    await page.waitForFunction((label) => window.__e2e.inlayHints().some((h) => h.text.includes(label)),
                               config.hintLabel).catch(() => undefined);
    step('inlay_hints', await page.evaluate(() => window.__e2e.inlayHints()));

    // 3. the hover on the first convolution: go to it (Ctrl+G) and show the hover (Ctrl+K Ctrl+I)
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(`${config.hoverLine}:${config.hoverColumn}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: config.hoverShape });
    await hover.first().waitFor().catch(() => undefined);
    await page.waitForTimeout(600); // the hover fades in
    step('hover', await page.locator('.monaco-hover:not(.hidden)').allInnerTexts());
    step('screenshot_hover', await shot('hover'));

    // 4. the Problems panel
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel .monaco-list-row').first().waitFor();
    await page.waitForTimeout(300);
    step('problems', await page.locator('.markers-panel .monaco-list-row').allInnerTexts());
    // The picture for people: the hover over the code, the squiggle, the Problems entry.
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(`${config.hoverLine}:${config.hoverColumn}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    await hover.first().waitFor().catch(() => undefined);
    await page.waitForTimeout(600);
    step('screenshot_workbench', await shot('workbench'));
    // The same view cropped to the editor and the Problems panel (docs/images/ is made from it).
    await page.screenshot({ path: path.join(config.outputDir, 'docs-hover-diagnostic.png'),
                            clip: { x: 348, y: 30, width: 932, height: 590 } });
    await page.keyboard.press('Escape');

    // 5. commands: Show Model Summary opens the table in a read-only document
    await palette('shapelens: Show Model Summary');
    await page.locator('.tab', { hasText: config.modelName }).first().waitFor().catch(() => undefined);
    await page.waitForTimeout(300);
    step('summary_tabs', await page.locator('.tab').allInnerTexts());
    step('summary_text', await page.evaluate(() => {
      const editors = [...document.querySelectorAll('.monaco-editor .view-lines')];
      return editors.map((e) => window.__e2e.plain(e.innerText)).find((t) => t.includes('Layer (type)')) || null;
    }));
    step('screenshot_summary', await shot('summary'));

    // 5b. the code lens above the model runs the server's command: the same table, no toast
    await page.locator('.tab', { hasText: `${config.modelName} summary` }).locator('.codicon-close').click();
    await page.locator('.tab', { hasText: `${config.modelName} summary` }).waitFor({ state: 'detached' });
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: config.modelName }).first().click();
    await page.locator('.tab', { hasText: `${config.modelName} summary` }).first().waitFor().catch(() => undefined);
    await page.waitForTimeout(500);
    step('lens_summary_tabs', await page.locator('.tab').allInnerTexts());
    step('toasts', await page.locator('.notifications-toasts .notification-toast').allInnerTexts());

    // 6. Open Log shows the extension's output channel
    await palette('shapelens: Open Log');
    await page.locator('.output-view, .panel .monaco-editor', { hasText: 'interpreter:' }).first().waitFor()
      .catch(() => undefined);
    step('log_text', await page.evaluate(() => {
      const parts = [...document.querySelectorAll('.panel .monaco-editor .view-lines')];
      return parts.map((e) => window.__e2e.plain(e.innerText)).join('\n');
    }));

    // 7. the quick fix: Ctrl+. on the error, pick the fix, the squiggle goes away
    await page.locator(`.tab[data-resource-name="${config.file}"]`).click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(`${config.errorLine}:${config.errorColumn}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: config.fixTitle });
    await fix.first().waitFor();
    step('fix_menu', await page.locator('.action-widget .monaco-list-row').allInnerTexts());
    for (let i = 0; i < 5; i++) { // arrow down to the fix, as the menu lets the keyboard do
      const focused = await page.locator('.action-widget .monaco-list-row.focused').first().innerText().catch(() => '');
      if (focused.includes(config.fixTitle)) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__e2e.squiggles('error').length === 0).catch(() => undefined);
    step('squiggles_after_fix', await page.evaluate(() => window.__e2e.squiggles('error')));
    step('fixed_line', await page.evaluate((n) => window.__e2e.plain(window.__e2e.viewLine(n)?.textContent ?? ''),
                                           config.errorLine));
    step('screenshot_fixed', await shot('fixed'));

    // 8. Confirm Shapes with TensorFlow: the status bar item while the server reports progress
    //    (the worker loading TensorFlow), then the server's answer as a notification.
    await page.evaluate(() => {
      const seen = window.__e2e.statusTexts = [];
      const record = () => {
        for (const el of document.querySelectorAll('.statusbar-item')) {
          const text = window.__e2e.plain(el.textContent).trim();
          if (/shapelens/i.test(`${el.id} ${text}`) && text && !seen.includes(text)) seen.push(text);
        }
      };
      new MutationObserver(record).observe(document.querySelector('.part.statusbar'),
                                           { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await palette('shapelens: Confirm Shapes with TensorFlow');
    const answer = page.locator('.notifications-toasts .notification-toast', { hasText: /TensorFlow|dry run|\.py:/ });
    await answer.first().waitFor({ timeout: config.dryRunTimeoutMs }).catch(() => undefined);
    await page.waitForTimeout(500);
    step('dry_run_toasts', await page.locator('.notifications-toasts .notification-toast').allInnerTexts());
    step('dry_run_status', await page.evaluate(() => window.__e2e.statusTexts));
    step('screenshot_dry_run', await shot('dry-run'));
    for (const close of await page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear').all()) {
      await close.click({ timeout: 2000 }).catch(() => undefined); // (an info toast may have hidden itself)
    }

    // 8b. the summary is a live view: undoing the quick fix (the Conv2D no longer fits) changes the
    //     open table (Total params: a number -> ?) without reopening it
    const summaryText = () => page.evaluate(() => {
      const editors = [...document.querySelectorAll('.monaco-editor .view-lines')];
      return editors.map((e) => window.__e2e.plain(e.innerText)).find((t) => t.includes('Layer (type)')) || null;
    });
    await page.locator(`.tab[data-resource-name="${config.file}"]`).click();
    await palette('shapelens: Show Model Summary');
    await page.locator('.tab', { hasText: `${config.modelName} summary` }).first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-editor .view-lines')]
      .some((e) => /Total params: [0-9]/.test(e.innerText))).catch(() => undefined);
    step('live_summary_before', await summaryText());
    await page.locator(`.tab[data-resource-name="${config.file}"]`).click();
    await page.keyboard.press('Control+Z');
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-editor .view-lines')]
      .some((e) => e.innerText.includes('Layer (type)') && e.innerText.includes('Total params: ?')),
    undefined, { timeout: 15_000 }).catch(() => undefined);
    step('live_summary_after', await summaryText());
    step('screenshot_live_summary', await shot('live-summary'));
    await page.locator('.tab', { hasText: `${config.modelName} summary` }).locator('.codicon-close').click();
    await page.keyboard.press('Control+Y'); // the fix again: step 9 undoes it once more

    // 9. an interpreter that has nothing but Python (a fresh venv without even pip), typed into
    //    the Settings editor as a person would: the server restarts on it with the shapelens
    //    bundled in the .vsix, and the bug (the quick fix undone) is underlined again.
    await palette('Preferences: Open User Settings');
    await page.locator('.settings-editor').waitFor();
    await page.keyboard.type('shapelens.interpreter');
    const field = page.locator('.settings-editor .setting-item-contents', { hasText: 'Interpreter' })
      .locator('input').first();
    await field.waitFor();
    await field.fill(config.bareInterpreter);
    await page.keyboard.press('Tab');
    await page.waitForTimeout(1500); // the restart: probe + server start under the bare venv
    await page.locator(`.tab[data-resource-name="${config.file}"]`).click();
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Z');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: config.timeoutMs });
    step('bare_squiggles', await page.evaluate(() => window.__e2e.squiggles('error')));
    step('screenshot_bare', await shot('bare-venv'));
    await palette('shapelens: Open Log');
    await page.locator('.panel .monaco-editor', { hasText: 'bundled with the extension' }).first().waitFor()
      .catch(() => undefined);
    step('bare_log_text', await page.evaluate(() => {
      const parts = [...document.querySelectorAll('.panel .monaco-editor .view-lines')];
      return parts.map((e) => window.__e2e.plain(e.innerText)).join('\n');
    }));

    // 10. importStrategy fromEnvironment with that venv (no shapelens installed): the extension
    //     says so, and its way out is the bundled server, never a package index.
    await palette('Preferences: Open User Settings');
    await page.locator('.settings-editor').waitFor();
    const search = page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .settings-header input').first();
    await search.click({ force: true });
    await page.keyboard.press('Control+A');
    await page.keyboard.type('shapelens.importStrategy');
    const select = page.locator('.settings-editor .setting-item-contents', { hasText: 'Import Strategy' })
      .locator('select').first();
    await select.waitFor();
    await select.selectOption('fromEnvironment');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'shapelens is not installed' });
    await toast.first().waitFor().catch(() => undefined);
    step('missing_notification', await toast.allInnerTexts());
    step('missing_buttons', await toast.locator('.monaco-button').allInnerTexts().catch(() => []));
    step('screenshot_missing', await shot('missing'));
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
