// Drives the inferbus web page in Debian's headless Chromium (playwright-core, no browser download).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const SHOTS = process.env.SCREENSHOTS || 'target/screenshots';

export async function openPage(url) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { browser, page, errors };
}

/** Records every text the output shows, so a test can tell whether it only ever grew. */
export async function recordOutput(page) {
  await page.evaluate(() => {
    window.__shown = [];
    const output = document.getElementById('output');
    new MutationObserver(() => window.__shown.push(output.textContent)).observe(output, { childList: true, subtree: true, characterData: true });
  });
}

export async function shown(page) {
  return page.evaluate(() => window.__shown);
}

export async function submit(page, { task, text }) {
  await page.selectOption('#task', task);
  await page.fill('#text', text);
  await page.click('#submit');
}

export async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

/** Each text shown is a prefix of the next: nothing was taken back or shown twice. */
export function onlyGrew(texts) {
  for (let i = 1; i < texts.length; i++) {
    if (!texts[i].startsWith(texts[i - 1])) {
      return `"${texts[i - 1]}" was followed by "${texts[i]}"`;
    }
  }
  return null;
}
