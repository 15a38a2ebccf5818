// The bridge from the real JS client (@vertx/eventbus-bridge-client.js over sockjs-client), as Node
// programs and browser pages use it. BASE_URL: a running node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import EventBus from '@vertx/eventbus-bridge-client.js';

const base = process.env.BASE_URL;

function connect() {
  return new Promise((resolve, reject) => {
    const eb = new EventBus(base + '/eventbus');
    eb.onopen = () => resolve(eb);
    eb.onerror = (e) => { eb.lastError = e; };
    setTimeout(() => reject(new Error('no connection')), 10000);
  });
}

function request(eb, address, body) {
  return new Promise((resolve) => eb.send(address, body, (err, reply) => resolve(err ? { err } : { body: reply.body })));
}

test('the example prints the Cyrillic as it streams and exits 0', async () => {
  const { stdout } = await promisify(execFile)('node', ['bridge-example.mjs', base, 'privet, kak dela?'], { timeout: 60000 });
  assert.equal(stdout.trim(), 'привет, как дела?');
});

test('events arrive in order to the end, and again after a given one', async () => {
  const eb = await connect();
  const job = (await request(eb, 'inferbus.submit', { task: 'transliterate', input: 'Segodnya horoshaya pogoda, i ya hochu gulyat.' })).body;
  assert.equal(job.status, 'queued');
  const events = await new Promise((resolve) => {
    const seen = [];
    eb.registerHandler(job.events, (err, message) => {
      seen.push(message.body);
      if (message.body.type === 'succeeded') resolve(seen);
    });
  });
  const logged = events.filter((e) => e.seq > 0);
  assert.deepEqual(logged.map((e) => e.seq), logged.map((_, i) => i + 1));
  const text = logged.filter((e) => e.type === 'progress' && e.data.delta !== undefined).map((e) => e.data.delta).join('');
  assert.equal(text, logged.at(-1).data.result.texts[0]);
  const later = await new Promise((resolve) => {
    const seen = [];
    const again = new EventBus(base + '/eventbus');
    again.onopen = () => again.registerHandler(job.events, { 'last-seq': '2' }, (err, message) => {
      seen.push(message.body.seq);
      if (message.body.type === 'succeeded') { again.close(); resolve(seen); }
    });
  });
  assert.deepEqual(later, logged.slice(2).map((e) => e.seq));
  eb.close();
});

test('what a client may not do is refused, each in its own way', async () => {
  const eb = await connect();
  for (const address of ['inferbus.control.cancel', 'inferbus.credits.all-minilm-l6-v2', 'inferbus.work.all-minilm-l6-v2.some-node', '__vertx.reply.1']) {
    const { err } = await request(eb, address, { id: 'x' });
    assert.equal(err.failureType, 'address_not_permitted', address);
  }
  const refusal = await new Promise((resolve) => eb.registerHandler('inferbus.events.*', (err) => resolve(err)));
  assert.equal(refusal.failureType, 'address_not_permitted');
  const invalid = (await request(eb, 'inferbus.submit', { task: 'transliterate', input: '   ' })).body;
  assert.equal(invalid.error.code, 'empty_input', 'the same errors as HTTP');
  eb.close();
});
