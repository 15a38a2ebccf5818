// OpenAI's official client (npm "openai") against inferbus, as users point it at a local server.
// OPEN_URL: a node with no API keys configured; KEYED_URL and API_KEY: a node with keys configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const open = new OpenAI({ baseURL: `${process.env.OPEN_URL}/v1`, apiKey: 'sk-whatever-the-user-had-set', maxRetries: 0 });
const model = 'all-minilm-l6-v2';

test('default encoding (base64) comes back as 384 floats per input, unit length', async () => {
  const response = await open.embeddings.create({ model, input: ['A man is eating food.', 'A man is riding a horse.'] });
  assert.equal(response.data.length, 2);
  for (const [i, item] of response.data.entries()) {
    assert.equal(item.index, i);
    assert.equal(item.embedding.length, 384);
    const norm = Math.sqrt(item.embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
  }
  assert.ok(response.usage.prompt_tokens > 0);
});

test('float encoding gives the same vectors as base64', async () => {
  const input = 'The quick brown fox jumps over the lazy dog.';
  const floats = await open.embeddings.create({ model, input, encoding_format: 'float' });
  const base64 = await open.embeddings.create({ model, input });
  assert.equal(floats.data[0].embedding.length, 384);
  floats.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - base64.data[0].embedding[i]) < 1e-6));
});

test('models.list names the served models', async () => {
  const ids = [];
  for await (const m of open.models.list()) {
    ids.push(m.id);
  }
  assert.ok(ids.includes(model), ids.join(','));
});

test('an unknown model is a clear 422 error', async () => {
  await assert.rejects(open.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), (e) => {
    assert.equal(e.status, 422);
    assert.equal(e.error?.code, 'unknown_model');
    assert.match(e.message, /unknown model/);
    return true;
  });
});

test('with keys configured, a valid key works and an unknown one is refused', async () => {
  const keyed = new OpenAI({ baseURL: `${process.env.KEYED_URL}/v1`, apiKey: process.env.API_KEY, maxRetries: 0 });
  const response = await keyed.embeddings.create({ model, input: 'hello' });
  assert.equal(response.data[0].embedding.length, 384);
  const stranger = new OpenAI({ baseURL: `${process.env.KEYED_URL}/v1`, apiKey: 'sk-not-a-key-of-this-service', maxRetries: 0 });
  await assert.rejects(stranger.embeddings.create({ model, input: 'hello' }), (e) => {
    assert.equal(e.status, 401);
    assert.equal(e.error?.code, 'invalid_api_key');
    return true;
  });
});
