// The live page of `uniqcount serve`. Everything shown is set with textContent or setAttribute,
// never as HTML: window labels, statuses and error texts come from the data.
(function () {
  'use strict';

  var KINDS = ['hour', 'day', 'week', 'month', 'year', 'minute'];
  var ROWS = { minute: 10, hour: 24, day: 14, week: 8, month: 12, year: 5 };
  var COLORS = { final: '#2563eb', early: '#f59e0b', update: '#dc2626' };
  var number = new Intl.NumberFormat('en-US');

  var state = { renders: 0, version: -1, chart: null, earlyIdx: [], view: null };
  window.uniqcount = state;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function label(kind, iso) {
    var s = String(iso);
    switch (kind) {
      case 'minute': case 'hour': return s.slice(0, 16).replace('T', ' ');
      case 'day': case 'week': return s.slice(0, 10);
      case 'month': return s.slice(0, 7);
      case 'year': return s.slice(0, 4);
      default: return s;
    }
  }

  function error(rse) {
    if (rse === null || rse === undefined) { return '–'; }
    if (rse === 0) { return 'exact'; }
    return '±' + (rse * 100).toFixed(2) + ' %';
  }

  function cell(tr, field, text, value) {
    var td = el('td', text);
    td.setAttribute('data-field', field);
    td.setAttribute('data-value', String(value));
    tr.appendChild(td);
    return td;
  }

  // uniques, frames, status, revision and error of a record, as cells of its row
  function countCells(tr, r) {
    cell(tr, 'uniques', number.format(r.uniques), r.uniques);
    cell(tr, 'frames', number.format(r.frames), r.frames);
    var st = cell(tr, 'status', '', r.status);
    st.appendChild(el('span', r.status, 'status status-' + String(r.status).replace(/[^a-z]/g, '')));
    cell(tr, 'revision', r.revision, r.revision);
    cell(tr, 'error', error(r.rse), r.rse === null ? '' : r.rse);
  }

  function renderTable(kind, records) {
    var table = document.getElementById('table-' + kind);
    var rows = records.slice(0, ROWS[kind]);
    table.replaceChildren();
    var head = el('tr');
    ['start (UTC)', 'uniques', 'frames', 'status', 'revision', 'error'].forEach(function (h) {
      head.appendChild(el('th', h));
    });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    if (rows.length === 0) {
      var tr = el('tr');
      var td = el('td', 'no results yet', 'empty');
      td.colSpan = 6;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    rows.forEach(function (r, i) {
      var tr = el('tr', null, i === 0 ? 'current' : '');
      tr.setAttribute('data-key', r.key);
      tr.setAttribute('data-status', r.status);
      cell(tr, 'start', label(kind, r.start), r.start);
      countCells(tr, r);
      body.appendChild(tr);
    });
    table.appendChild(body);
    table.setAttribute('data-rows', String(rows.length));
  }

  function chartData(minutes) {
    var asc = minutes.slice().reverse();
    var xs = [], fin = [], early = [], upd = [], earlyIdx = [];
    var counts = { final: 0, early: 0, update: 0 };
    asc.forEach(function (r, i) {
      xs.push(Date.parse(r.start) / 1000);
      var isEarly = r.status === 'early';
      fin.push(isEarly ? null : r.uniques);
      upd.push(r.status === 'update' ? r.uniques : null);
      // the dashed early line starts at the last closed minute before it, so the line is unbroken
      var nextEarly = i + 1 < asc.length && asc[i + 1].status === 'early';
      early.push(isEarly || nextEarly ? r.uniques : null);
      if (isEarly) { earlyIdx.push(i); }
      if (counts.hasOwnProperty(r.status)) { counts[r.status]++; }
    });
    return { data: [xs, fin, early, upd], earlyIdx: earlyIdx, counts: counts };
  }

  // 24-hour UTC ticks; the date under the first tick and under every midnight
  function timeTick(ts, i) {
    var iso = new Date(ts * 1000).toISOString();
    var hm = iso.slice(11, 16);
    return i === 0 || hm === '00:00' ? hm + '\n' + iso.slice(0, 10) : hm;
  }

  function makeChart(target) {
    var opts = {
      width: Math.max(300, target.clientWidth),
      height: 320,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
      legend: { show: false }, // the page's own legend names the statuses
      series: [
        { label: 'minute (UTC)' },
        { label: 'final', stroke: COLORS.final, width: 2, spanGaps: false, points: { show: false },
          value: function (u, v) { return v === null ? '–' : number.format(v); } },
        { label: 'early', stroke: COLORS.early, width: 2, dash: [6, 4], spanGaps: false,
          points: { show: true, size: 8, width: 2, fill: '#ffffff', stroke: COLORS.early,
            filter: function () { return state.earlyIdx; } },
          value: function (u, v) { return v === null ? '–' : number.format(v); } },
        { label: 'update', stroke: COLORS.update, width: 0, paths: function () { return null; },
          points: { show: true, size: 10, width: 1, fill: COLORS.update, stroke: '#7f1d1d' },
          value: function (u, v) { return v === null ? '–' : number.format(v); } }
      ],
      axes: [
        { stroke: '#4b5563', grid: { stroke: '#eef0f3' }, size: 44,
          values: function (u, splits) { return splits.map(timeTick); } },
        { stroke: '#4b5563', grid: { stroke: '#eef0f3' }, size: 70,
          values: function (u, vals) { return vals.map(function (v) { return number.format(v); }); } }
      ]
    };
    return new uPlot(opts, [[], [], [], []], target);
  }

  function renderChart(minutes) {
    var target = document.getElementById('chart');
    var c = chartData(minutes);
    state.earlyIdx = c.earlyIdx;
    if (!state.chart) { state.chart = makeChart(target); }
    state.chart.setData(c.data);
    target.setAttribute('data-points', String(c.data[0].length));
    target.setAttribute('data-final', String(c.counts.final));
    target.setAttribute('data-early', String(c.counts.early));
    target.setAttribute('data-update', String(c.counts.update));
    var range = document.getElementById('chart-range');
    range.textContent = minutes.length === 0 ? 'no minutes yet'
      : label('minute', minutes[minutes.length - 1].start) + ' – ' + label('minute', minutes[0].start)
        + ' UTC (' + minutes.length + ' minutes)';
  }

  // rolling-90m, rolling-24h, rolling-7d: shortest first
  function rollingSeconds(kind) {
    var m = /^rolling-(\d+)([mhd])$/.exec(kind);
    return m ? Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2]] : Infinity;
  }

  function renderRolling(windows) {
    var kinds = Object.keys(windows).filter(function (k) { return k.indexOf('rolling-') === 0; });
    kinds.sort(function (a, b) { return rollingSeconds(a) - rollingSeconds(b); });
    var card = document.getElementById('rolling');
    card.hidden = kinds.length === 0;
    var table = document.getElementById('table-rolling');
    table.replaceChildren();
    var head = el('tr');
    ['window', 'from (UTC)', 'to (UTC)', 'uniques', 'frames', 'status', 'revision', 'error'].forEach(function (h) {
      head.appendChild(el('th', h));
    });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    var rows = 0;
    kinds.forEach(function (k) {
      var r = (windows[k] || [])[0];
      if (!r) { return; }
      var tr = el('tr');
      tr.setAttribute('data-key', r.key);
      cell(tr, 'window', 'last ' + k.slice('rolling-'.length), k);
      cell(tr, 'start', label('minute', r.start), r.start);
      cell(tr, 'end', label('minute', r.end), r.end);
      countCells(tr, r);
      body.appendChild(tr);
      rows++;
    });
    table.appendChild(body);
    table.setAttribute('data-rows', String(rows));
  }

  function renderStats(s) {
    document.getElementById('stat-source').textContent = s.source || '–';
    document.getElementById('stat-read').textContent = number.format(s.read);
    document.getElementById('stat-applied').textContent = number.format(s.applied);
    var foreign = document.getElementById('stat-foreign');
    foreign.textContent = number.format(s.foreign);
    foreign.setAttribute('data-value', String(s.foreign));
    var reasons = Object.keys(s.foreignByReason || {}).map(function (k) { return k + ' ' + s.foreignByReason[k]; });
    foreign.title = reasons.join(', ');
    document.getElementById('stat-last-change').textContent =
      s.lastChange ? String(s.lastChange).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '–';
    var box = document.getElementById('last-foreign');
    if (s.lastForeign) {
      document.getElementById('stat-last-foreign').textContent = s.lastForeign;
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  function render(view) {
    state.view = view;
    state.version = view.version;
    renderChart(view.windows.minute || []);
    KINDS.forEach(function (k) { renderTable(k, view.windows[k] || []); });
    renderRolling(view.windows);
    renderStats(view.stats);
    state.renders++;
    document.body.setAttribute('data-version', String(view.version));
  }

  function connect() {
    var conn = document.getElementById('connection');
    var events = new EventSource('/api/events');
    events.onopen = function () { conn.textContent = 'live'; conn.setAttribute('data-state', 'live'); };
    events.onerror = function () { conn.textContent = 'reconnecting…'; conn.setAttribute('data-state', 'lost'); };
    events.onmessage = function (e) {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        conn.textContent = 'bad data from the server: ' + err;
        conn.setAttribute('data-state', 'lost');
      }
    };
  }

  window.addEventListener('resize', function () {
    var target = document.getElementById('chart');
    if (state.chart) { state.chart.setSize({ width: Math.max(300, target.clientWidth), height: 320 }); }
  });
  connect();
}());
