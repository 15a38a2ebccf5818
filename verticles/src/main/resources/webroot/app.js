// The inferbus page: submits a job over the event-bus bridge (or plain HTTP + SSE when the bridge
// cannot connect), follows its events, and resumes after a dropped connection or a restarted node
// from the last event it saw, so no text is missed or shown twice.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const BRIDGE_WAIT_MS = 3000;
  const state = { eb: null, bridgeUp: false, bridgeGaveUp: false, models: [], job: null };

  function connectBridge() {
    if (typeof EventBus === 'undefined') {
      state.bridgeGaveUp = true;
      showConnection('events over SSE (no bridge client)');
      return;
    }
    const eb = new EventBus('/eventbus', { vertxbus_reconnect_delay_min: 500, vertxbus_reconnect_delay_max: 2000 });
    eb.enableReconnect(true);
    state.eb = eb;
    const gaveUp = setTimeout(() => {
      if (!state.bridgeUp) {
        state.bridgeGaveUp = true;
        showConnection('events over SSE (the bridge did not connect)');
      }
    }, BRIDGE_WAIT_MS);
    eb.onopen = () => {
      clearTimeout(gaveUp);
      state.bridgeUp = true;
      state.bridgeGaveUp = false;
      showConnection('connected (event-bus bridge)');
      const job = state.job;
      if (job && job.via === 'bridge' && !job.ended) {
        followOverBridge(job);
      }
    };
    eb.onclose = () => {
      state.bridgeUp = false;
      showConnection('connection lost, reconnecting…');
    };
    eb.onerror = (err) => showError(err && (err.message || err.body || err.failureType) || 'bridge error');
  }

  function showConnection(text) {
    $('connection').textContent = text;
  }

  function showError(message) {
    $('error').textContent = message || '';
  }

  async function loadModels() {
    try {
      const response = await fetch('/v1/models');
      const body = await response.json();
      state.models = body.data || [];
    } catch (e) {
      state.models = [];
    }
    fillModels();
  }

  function fillModels() {
    const task = $('task').value;
    const select = $('model');
    select.textContent = '';
    for (const model of state.models.filter((m) => m.task === task)) {
      const option = document.createElement('option');
      option.value = model.id;
      option.textContent = model.id + (model.workers && model.workers.length ? '' : ' (no worker)');
      select.appendChild(option);
    }
  }

  function jobBody() {
    const task = $('task').value;
    const text = $('text').value;
    const input = task === 'embed' ? text.split('\n').map((l) => l.trim()).filter((l) => l) : text;
    const body = { task: task, input: input, priority: $('priority').value };
    if ($('model').value) {
      body.model = $('model').value;
    }
    return body;
  }

  function submit(event) {
    event.preventDefault();
    resetView();
    const body = jobBody();
    $('submit').disabled = true;
    $('status').textContent = 'submitting…';
    if (state.bridgeUp) {
      state.eb.send('inferbus.submit', body, (err, message) => {
        if (err) {
          return refused(err.message || err.failureType);
        }
        accepted(message.body, 'bridge');
      });
    } else {
      fetch('/v1/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
        .then((response) => response.json())
        .then((answer) => accepted(answer, 'sse'))
        .catch((e) => refused('the service cannot be reached: ' + e.message));
    }
  }

  function refused(message) {
    showError(message);
    $('status').textContent = 'not accepted';
    $('submit').disabled = false;
  }

  function accepted(answer, via) {
    if (answer.error) {
      return refused(answer.error.message + ' (' + answer.error.code + ')');
    }
    const job = { id: answer.id, task: answer.task, via: via, lastSeq: 0, texts: [], ended: false };
    state.job = job;
    $('status').textContent = 'queued (job ' + job.id + ')';
    $('stop').disabled = false;
    if (via === 'bridge') {
      followOverBridge(job);
    } else {
      followOverSse(job);
    }
  }

  function followOverBridge(job) {
    const address = 'inferbus.events.' + job.id;
    if (state.eb.handlers && state.eb.handlers[address]) {
      return;
    }
    state.eb.registerHandler(address, { 'last-seq': String(job.lastSeq) }, (err, message) => {
      if (err) {
        showError(err.message || err.failureType);
        return;
      }
      onEvent(job, message.body);
    });
  }

  function followOverSse(job) {
    const source = new EventSource('/v1/jobs/' + job.id + '/events');
    job.source = source;
    for (const type of ['queued', 'started', 'progress', 'succeeded', 'failed', 'cancelled', 'expired']) {
      source.addEventListener(type, (e) => {
        onEvent(job, { seq: e.lastEventId ? Number(e.lastEventId) : 0, type: type, data: JSON.parse(e.data) });
      });
    }
    source.onerror = () => {
      if (!job.ended) {
        showConnection('connection lost, reconnecting (SSE)…');
      }
    };
    source.onopen = () => showConnection('connected (SSE)');
  }

  // Events carry their number; one already seen (a replay after a reconnect) is skipped.
  function onEvent(job, event) {
    if (job !== state.job || job.ended && event.seq > 0) {
      return;
    }
    if (event.seq > 0) {
      if (event.seq <= job.lastSeq) {
        return;
      }
      job.lastSeq = event.seq;
    }
    const data = event.data || {};
    switch (event.type) {
      case 'queued':
        if (data.position !== undefined) {
          $('position').textContent = 'place in queue: ' + (data.position + 1)
            + (data.estimated_wait_ms !== undefined ? ', about ' + (data.estimated_wait_ms / 1000).toFixed(1) + ' s' : '');
        } else {
          $('status').textContent = data.reason ? 'queued again (' + data.reason + ')' : 'queued';
        }
        break;
      case 'started':
        $('position').textContent = '';
        $('status').textContent = 'running on ' + data.worker;
        break;
      case 'progress':
        progress(data.done, data.total);
        if (data.index !== undefined) {
          job.texts[data.index] = data.text;
          showTexts(job.texts);
          if (data.done < data.total && data.total === 1) {
            $('progress').removeAttribute('value');  // one input being written: the bar shows activity, not a share
          }
        }
        break;
      case 'succeeded':
        finish(job, 'succeeded' + (data.cached ? ' (from the cache)' : ''));
        showResult(job, data.result || {});
        break;
      case 'failed':
      case 'expired':
        finish(job, event.type);
        showError(data.error ? data.error.message + ' (' + data.error.code + ')' : event.type);
        break;
      case 'cancelled':
        finish(job, 'cancelled');
        break;
      default:
        break;
    }
  }

  function progress(done, total) {
    $('progress').max = Math.max(1, total || 1);
    $('progress').value = done || 0;
  }

  function finish(job, status) {
    job.ended = true;
    $('status').textContent = status;
    $('position').textContent = '';
    $('stop').disabled = true;
    $('submit').disabled = false;
    if (job.source) {
      job.source.close();
    }
    if (job.via === 'bridge' && state.bridgeUp) {
      const address = 'inferbus.events.' + job.id;
      if (state.eb.handlers && state.eb.handlers[address]) {
        for (const handler of state.eb.handlers[address].slice()) {
          state.eb.unregisterHandler(address, handler);
        }
      }
    }
  }

  function showTexts(texts) {
    const output = $('output');
    output.textContent = '';
    for (const text of texts) {
      const p = document.createElement('p');
      p.textContent = text || '';
      output.appendChild(p);
    }
  }

  function showResult(job, result) {
    progress(1, 1);
    if (result.texts) {
      job.texts = result.texts.slice();
      showTexts(job.texts);
    }
    if (result.embeddings) {
      showEmbeddings(result.embeddings, result.dimensions);
    }
  }

  function showEmbeddings(vectors, dimensions) {
    $('dims').textContent = vectors.length + ' vector(s) of ' + dimensions + ' dimensions';
    const list = $('vectors');
    list.textContent = '';
    for (const vector of vectors) {
      const item = document.createElement('li');
      item.textContent = '[' + vector.slice(0, 8).map((x) => x.toFixed(4)).join(', ') + ', …]';
      list.appendChild(item);
    }
    const table = $('matrix');
    table.textContent = '';
    const head = table.insertRow();
    head.appendChild(document.createElement('th'));
    vectors.forEach((_, i) => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = String(i + 1);
      head.appendChild(th);
    });
    vectors.forEach((a, i) => {
      const row = table.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(i + 1);
      row.appendChild(th);
      vectors.forEach((b) => {
        row.insertCell().textContent = cosine(a, b).toFixed(3);
      });
    });
  }

  function cosine(a, b) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  function stop() {
    const job = state.job;
    if (!job || job.ended) {
      return;
    }
    $('stop').disabled = true;
    if (state.bridgeUp) {
      state.eb.send('inferbus.cancel', { id: job.id }, (err, message) => {
        if (err || (message.body && message.body.error)) {
          showError(err ? err.message : message.body.error.message);
        }
      });
    } else {
      fetch('/v1/jobs/' + job.id, { method: 'DELETE' }).then((r) => r.json()).then((answer) => {
        if (answer.error) {
          showError(answer.error.message);
        }
      });
    }
  }

  function resetView() {
    showError('');
    $('position').textContent = '';
    $('output').textContent = '';
    $('dims').textContent = '';
    $('vectors').textContent = '';
    $('matrix').textContent = '';
    progress(0, 1);
  }

  function readFile(file) {
    if (!file) {
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      $('text').value = reader.result;
    };
    reader.readAsText(file);
  }

  function setUpDrop() {
    const area = $('text');
    area.addEventListener('dragover', (e) => {
      e.preventDefault();
      area.classList.add('dragging');
    });
    area.addEventListener('dragleave', () => area.classList.remove('dragging'));
    area.addEventListener('drop', (e) => {
      e.preventDefault();
      area.classList.remove('dragging');
      readFile(e.dataTransfer.files[0]);
    });
    $('file').addEventListener('change', (e) => readFile(e.target.files[0]));
  }

  $('job-form').addEventListener('submit', submit);
  $('stop').addEventListener('click', stop);
  $('task').addEventListener('change', fillModels);
  setUpDrop();
  loadModels();
  connectBridge();
  window.inferbus = state;
})();
