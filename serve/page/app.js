// The page of grayscott's server: it follows /events (server-sent events:
// the chart's history, then a status at each update, then the end) and
// fetches /image.png when the status says a newer image is there.
'use strict';

const $ = (id) => document.getElementById(id);
const chartSpan = 300; // seconds
let history = [];
let shown = -1;        // the image (or mosaic) on the page
let imageURL = null;
let fetching = null;   // the fetch of /image.png in progress
let paramsShown = '';
let layoutShown = '';

function duration(s) {
  if (!(s >= 0)) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

function number(x) {
  if (!(x > 0)) return '0';
  if (x >= 1e9) return (x / 1e9).toFixed(2) + ' G';
  if (x >= 1e6) return (x / 1e6).toFixed(2) + ' M';
  if (x >= 1e4) return (x / 1e3).toFixed(1) + ' k';
  return x.toFixed(x < 10 ? 2 : 0);
}

function seconds(x) { return (x || 0).toFixed(2) + ' s'; }

// fetchImage brings the picture the status names, unless it is shown.
function fetchImage(st) {
  if (st.image_shown < 0 || st.image_shown === shown) return Promise.resolve();
  if (fetching) return fetching.then(() => fetchImage(st));
  fetching = (async () => {
    try {
      const r = await fetch('/image.png', { cache: 'no-store' });
      if (!r.ok) return;
      const n = parseInt(r.headers.get('X-Image-Index'), 10);
      const url = URL.createObjectURL(await r.blob());
      if (st.kind === 'sweep') {
        for (const t of document.querySelectorAll('.tile')) t.style.backgroundImage = `url(${url})`;
      } else {
        // Decoded first, then swapped in whole: the element's index always
        // names the picture it shows.
        const img = new Image();
        img.src = url;
        await img.decode();
        img.id = 'image';
        img.alt = $('image').alt;
        img.dataset.index = String(n);
        $('image').replaceWith(img);
        $('caption').textContent = `image ${n} (${st.field}, ${st.colormap} over its own range)`;
      }
      if (imageURL) URL.revokeObjectURL(imageURL);
      imageURL = url;
      shown = n;
    } finally {
      fetching = null;
    }
  })();
  return fetching;
}

function showParams(st) {
  const key = JSON.stringify(st.params || {});
  if (key === paramsShown) return;
  paramsShown = key;
  const t = $('params');
  t.replaceChildren();
  for (const [k, v] of Object.entries(st.params || {})) {
    const tr = t.insertRow();
    const th = document.createElement('th');
    th.textContent = k;
    tr.append(th);
    tr.insertCell().textContent = v;
  }
}

function showSweep(st) {
  const m = st.mosaic;
  const points = st.points || [];
  const key = JSON.stringify([m && m.rows, m && m.cols, m && m.tile_width, m && m.tile_height, points.length]);
  const t = $('mosaic');
  if (key !== layoutShown && m) {
    layoutShown = key;
    t.replaceChildren();
    const head = t.createTHead().insertRow();
    head.append(document.createElement('th'));
    for (const c of m.column_labels) {
      const th = document.createElement('th');
      th.textContent = c;
      head.append(th);
    }
    const body = t.createTBody();
    for (let r = 0; r < m.rows; r++) {
      const tr = body.insertRow();
      const th = document.createElement('th');
      th.textContent = m.row_labels[r] || '';
      tr.append(th);
      for (let c = 0; c < m.cols; c++) tr.insertCell();
    }
    for (const p of points) {
      const td = body.rows[p.row].cells[p.col + 1];
      td.dataset.point = String(p.index);
      const tile = document.createElement('div');
      tile.className = 'tile';
      tile.style.width = m.tile_width + 'px';
      tile.style.height = m.tile_height + 'px';
      tile.style.backgroundPosition = `-${p.col * (m.tile_width + m.gap)}px -${p.row * (m.tile_height + m.gap)}px`;
      if (imageURL) tile.style.backgroundImage = `url(${imageURL})`;
      const state = document.createElement('span');
      state.className = 'state';
      td.append(tile, state);
    }
  }
  for (const p of points) {
    const td = t.querySelector(`td[data-point="${p.index}"]`);
    if (!td) continue;
    const s = td.querySelector('.state');
    s.textContent = p.state;
    s.className = 'state ' + p.state;
    td.title = `${p.index}: ${p.label}\n${p.file}\n${p.images} of ${p.images_total || '?'} images${p.detail ? '\n' + p.detail : ''}`;
  }
  $('counts').textContent = Object.entries(st.counts || {}).map(([k, v]) => `${v} ${k}`).join(', ');
  if (m) $('range').textContent = `each tile: the newest image of its point; V from ${m.range_lo} to ${m.range_hi}`;
}

function show(st) {
  document.body.dataset.kind = st.kind;
  $('kind').textContent = `grayscott ${st.kind}`;
  $('output').textContent = st.output;
  $('state').textContent = st.state;
  $('state').className = 'state ' + st.state;
  $('reason').textContent = st.stop_reason || st.error || '';
  $('done').textContent = `${st.images_done} of ${st.images_total}`;
  $('bar').max = Math.max(1, st.images_total);
  $('bar').value = st.images_done;
  document.title = `${st.state} ${st.images_done}/${st.images_total} · grayscott`;
  const sum = st.summary;
  $('rate').textContent = st.steps_per_s > 0 ? number(st.steps_per_s) :
    (sum ? `${number(sum.steps_per_s)} (the whole run)` : '–');
  $('eta').textContent = st.state === 'running' ? duration(st.eta_s) : '–';
  $('elapsed').textContent = duration(st.elapsed_s);
  $('engine').textContent = st.engine || '–';
  $('device').textContent = st.device || '–';
  if (st.queue_capacity !== undefined) {
    $('queue').textContent = `${st.queue_len} of ${st.queue_capacity}` + (st.waiting_for_storage ? ', the engine waits' : '');
    $('wait').textContent = seconds(st.storage_wait_s);
    $('writer').textContent = `${seconds(st.write_s)} / ${seconds(st.writer_idle_s)}`;
  }
  if (st.frames_written !== undefined) {
    $('file').textContent = `${st.rows}×${st.cols}, ${st.codec}, ${number(st.stored_bytes)}B stored, ` +
      (st.checkpoint_images > 0 ? `checkpoint at image ${st.checkpoint_images}` : 'no checkpoint');
  }
  showParams(st);
  if (st.kind === 'sweep') showSweep(st);
  if (st.sample) {
    history.push(st.sample);
    while (history.length > 0 && st.sample.t - history[0].t > chartSpan) history.shift();
    drawChart();
  }
  return fetchImage(st);
}

const series = [
  ['queue_fill', '#1f77b4'], ['engine_wait', '#d62728'], ['writer_busy', '#2ca02c'], ['writer_idle', '#bbb'],
];

function drawChart() {
  const c = $('chart');
  if (!c || document.body.dataset.kind !== 'run') return;
  const g = c.getContext('2d');
  const w = c.width, h = c.height, pad = 24;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#eee';
  g.fillStyle = '#888';
  g.font = '11px sans-serif';
  for (const y of [0, 0.5, 1]) {
    const py = h - pad - y * (h - 2 * pad);
    g.beginPath(); g.moveTo(pad, py); g.lineTo(w, py); g.stroke();
    g.fillText(`${y * 100}%`, 0, py + 4);
  }
  if (history.length === 0) return;
  const end = history[history.length - 1].t;
  const x = (t) => pad + (w - pad) * (1 - (end - t) / chartSpan);
  g.fillText(`${chartSpan / 60} min ago`, pad, h - 6);
  g.fillText('now', w - 24, h - 6);
  for (const [key, colour] of series) {
    g.strokeStyle = colour;
    g.lineWidth = 1.5;
    g.beginPath();
    history.forEach((s, i) => {
      const px = x(s.t), py = h - pad - s[key] * (h - 2 * pad);
      if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
    });
    g.stroke();
  }
}

function follow() {
  const es = new EventSource('/events');
  es.addEventListener('history', (e) => { history = JSON.parse(e.data) || []; drawChart(); });
  es.addEventListener('status', (e) => { show(JSON.parse(e.data)); });
  es.addEventListener('end', async (e) => {
    const st = JSON.parse(e.data);
    try {
      await show(st); // the last picture, while the server still answers
    } finally {
      es.close();
      $('server').textContent = st.kind === 'run' ? '(the run ended: the server has stopped)' : '(the server has stopped)';
      document.body.dataset.ended = 'true';
    }
  });
  es.onerror = () => {
    if (document.body.dataset.ended !== 'true') $('server').textContent = '(connection lost; retrying)';
  };
  es.onopen = () => { $('server').textContent = ''; };
}

follow();
