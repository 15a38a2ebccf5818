// The web page in a real browser. BASE_URL: a node that reports every decoder step
// (worker.stream-interval-ms 0); SSE_URL: a node without the bridge; LONG_TEXT: many romanised sentences.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { onlyGrew, openPage, recordOutput, screenshot, shown, submit } from './page.js';

const base = process.env.BASE_URL;
const longText = process.env.LONG_TEXT;
const opened = [];
after(async () => {
  for (const { browser } of opened) {
    await browser.close();
  }
});

async function page(url) {
  const session = await openPage(url);
  opened.push(session);
  return session;
}

test('a transliteration grows on the page as it is written, over the bridge', async () => {
  const { page: p, errors } = await page(base + '/');
  await p.waitForFunction(() => document.getElementById('connection').textContent.includes('event-bus bridge'));
  await recordOutput(p);
  await submit(p, { task: 'transliterate', text: longText });
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('running')
    && document.getElementById('output').textContent.length > 40);
  await screenshot(p, 'transliteration-mid-stream');
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('succeeded'), null, { timeout: 60000 });
  const texts = await shown(p);
  const final = await p.textContent('#output');
  const distinct = [...new Set(texts.filter((t) => t.length > 0))];
  assert.ok(distinct.length >= 3, `the text grew in steps: ${distinct.length}`);
  assert.equal(onlyGrew(distinct), null);
  assert.ok(/[а-яё]/i.test(final), final.slice(0, 80));
  assert.equal(distinct.at(-1), final);
  await screenshot(p, 'transliteration-done');
  assert.deepEqual(errors, []);
});

test('Stop cancels a running job', async () => {
  const { page: p } = await page(base + '/');
  await p.waitForFunction(() => document.getElementById('connection').textContent.includes('event-bus bridge'));
  await submit(p, { task: 'transliterate', text: (longText + '\n').repeat(6) });
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('running'));
  await p.click('#stop');
  await p.waitForFunction(() => document.getElementById('status').textContent === 'cancelled');
  assert.equal(await p.isDisabled('#stop'), true);
});

test('three sentences embedded show their vectors and similarity matrix', async () => {
  const { page: p } = await page(base + '/');
  await submit(p, { task: 'embed', text: 'A man is eating food.\nA man is eating a piece of bread.\nThe girl is carrying a baby.' });
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('succeeded'));
  assert.equal(await p.textContent('#dims'), '3 vector(s) of 384 dimensions');
  const rows = await p.$$eval('#matrix tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, 4);
  for (let i = 1; i <= 3; i++) {
    assert.equal(rows[i][i], '1.000');
  }
  assert.ok(Number(rows[1][2]) > Number(rows[1][3]), 'eating food is nearer eating bread than carrying a baby');
  await screenshot(p, 'embeddings');
});

test('errors show the API message', async () => {
  const { page: p } = await page(base + '/');
  await submit(p, { task: 'transliterate', text: '   ' });
  await p.waitForFunction(() => document.getElementById('error').textContent.includes('empty_input'));
});

test('without the bridge the page uses SSE', async () => {
  const { page: p } = await page(process.env.SSE_URL + '/');
  await p.waitForFunction(() => document.getElementById('connection').textContent.includes('SSE'), null, { timeout: 15000 });
  await submit(p, { task: 'transliterate', text: 'privet, kak dela?' });
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('succeeded'));
  assert.equal(await p.textContent('#output'), 'привет, как дела?');
});

test('the page fits a phone-sized screen and works from the keyboard', async () => {
  const { page: p } = await page(base + '/');
  await p.setViewportSize({ width: 375, height: 740 });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling: ${overflow}px`);
  for (const id of ['text', 'task', 'model', 'priority', 'file']) {
    assert.ok(await p.$(`label[for="${id}"]`), `a label for #${id}`);
  }
  await p.fill('#text', 'privet');
  await p.focus('#text');
  for (let i = 0; i < 6 && !(await p.evaluate(() => document.activeElement.id === 'submit')); i++) {
    await p.keyboard.press('Tab');
  }
  assert.equal(await p.evaluate(() => document.activeElement.id), 'submit', 'Tab reaches Submit');
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('succeeded'));
  await screenshot(p, 'phone');
});
