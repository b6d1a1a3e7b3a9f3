// Opens a notebook in real JupyterLab (jupyterlab-lsp + shapelens) in headless Chromium and
// reports the diagnostics per cell, the message shown on hover, and a screenshot.
// Run by test_jupyterlab.py: `node jupyterlab_driver.cjs CONFIG.json`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { chromium } = createRequire(path.join(config.toolsDir, 'package.json'))('playwright-core');
const SELECTOR = '.cm-lintRange-error, .cm-lintRange-warning';

(async () => {
  const ctx = await chromium.launchPersistentContext(config.profileDir, {
    executablePath: config.chromium, headless: true, viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  const page = ctx.pages()[0] || await ctx.newPage();
  const result = {};
  try {
    await page.goto(`${config.url}/lab/tree/${config.file}`);
    await page.locator('.jp-Notebook').waitFor({ timeout: config.timeoutMs });
    await page.locator('.cm-lintRange-error').first().waitFor({ timeout: config.timeoutMs });
    await page.waitForTimeout(1000);
    result.diagnostics = await page.locator('.cm-lintRange-error').allInnerTexts();
    result.per_cell = await page.locator('.jp-Cell').evaluateAll(
      (cells, s) => cells.map((c) => c.querySelectorAll(s).length), '.cm-lintRange-error');
    await page.locator('.cm-lintRange-error').first().hover();
    await page.waitForTimeout(1500);
    result.tooltip = await page.locator('.cm-tooltip').allInnerTexts();
    await page.screenshot({ path: path.join(config.outputDir, 'jupyterlab.png') });
  } catch (error) {
    result.error = String(error && error.stack || error);
    await page.screenshot({ path: path.join(config.outputDir, 'failure.png') }).catch(() => undefined);
  } finally {
    fs.writeFileSync(config.result, JSON.stringify(result, null, 1));
    await ctx.close();
  }
})();
