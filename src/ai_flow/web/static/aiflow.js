// AIFlow web UI: the connection banner, live log tails and the live event stream.
// Everything else is htmx (fragments pushed over Server-Sent Events by the server).
(function () {
  "use strict";
  var LOG_MAX_CHARS = 1 << 20;  // a followed log keeps its last ~1 MB in the page
  var EVENT_ROWS = 500;
  var failing = new Set();      // live connections that are down right now

  function banner(detail) {
    var el = document.getElementById("banner");
    if (!el) return;
    if (detail === null && failing.size === 0) { el.hidden = true; return; }
    if (detail) document.getElementById("banner-detail").textContent = detail;
    el.hidden = false;
  }
  var DOWN = "What this page shows may be out of date; it reconnects by itself.";
  function down(key, detail) { failing.add(key); banner(detail || DOWN); }
  function up(key) { failing.delete(key); banner(null); }

  // The pages' own streams (htmx SSE extension).
  document.addEventListener("htmx:sseError", function (e) { down(e.target); });
  document.addEventListener("htmx:sseOpen", function (e) {
    var source = e.detail.source, elt = e.target;
    up(elt);
    if (source._aiflow) return;
    source._aiflow = true;
    source.addEventListener("trouble", function (m) {
      down("trouble", "The server is up but cannot read its database: " + m.data);
    });
    source.addEventListener("fine", function () { up("trouble"); });
    source.addEventListener("gone", function (m) { down("gone", "This no longer exists: " + m.data); });
  });
  // A button refused for its token (403) or for want of a session (401): the server
  // answers with a notice for #flash, which htmx would not swap for an error status.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status === 401 || status === 403) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  // A button whose request did not reach the server.
  document.addEventListener("htmx:sendError", function () {
    down("send", "The AIFlow server did not answer; nothing was done.");
    setTimeout(function () { up("send"); }, 8000);
  });

  // --- A run's log, followed: appended as text nodes (no re-layout of what is there),
  // scrolled to the end only while the reader is at the end.
  var logSource = null;
  function follow(pre) {
    if (logSource) { logSource.close(); logSource = null; }
    if (!pre) return;
    var state = document.getElementById("log-state");
    var wrap = document.querySelector("input.log-wrap");
    if (wrap) wrap.addEventListener("change", function () { pre.classList.toggle("wrap", wrap.checked); });
    pre.scrollTop = pre.scrollHeight;
    if (pre.dataset.finished === "true") return;
    var chars = pre.textContent.length;
    var source = new EventSource(pre.dataset.follow);
    logSource = source;
    source.addEventListener("log", function (m) {
      if (!document.body.contains(pre)) { source.close(); return; }
      var text = JSON.parse(m.data).text;
      var atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
      pre.appendChild(document.createTextNode(text));
      chars += text.length;
      if (chars > LOG_MAX_CHARS) {  // drop the oldest text; keep the reader's place
        var before = pre.scrollHeight;
        while (chars > LOG_MAX_CHARS * 0.75 && pre.firstChild) {
          chars -= pre.firstChild.textContent.length;
          pre.removeChild(pre.firstChild);
        }
        if (!atEnd) pre.scrollTop -= before - pre.scrollHeight;
      }
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    });
    source.addEventListener("end", function () {
      source.close();
      if (state) state.textContent = "The run has ended.";
    });
    source.onopen = function () { up(source); if (state) state.textContent = "Following…"; };
    source.onerror = function () {
      if (source.readyState !== EventSource.CLOSED) down(source);
    };
  }

  // --- The events page: new events on top, each with its offset.
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function when(ms) { return new Date(ms).toISOString().replace("T", " ").slice(0, 19); }
  function streamEvents(table) {
    var body = document.getElementById("event-rows");
    var source = new EventSource(table.dataset.stream);
    source.addEventListener("event", function (m) {
      var e = JSON.parse(m.data);
      if (body.querySelector('tr[data-offset="' + e.offset + '"]')) return;
      var tr = document.createElement("tr");
      tr.dataset.offset = e.offset;
      tr.className = "new";
      cell(tr, e.offset);
      cell(tr, when(e.create_time), "muted");
      var key = document.createElement("code");
      key.textContent = e.key;
      cell(tr, "").appendChild(key);
      cell(tr, e.value, "value");
      cell(tr, e.namespace);
      cell(tr, e.sender);
      cell(tr, e.context, "muted");
      body.insertBefore(tr, body.firstChild);
      while (body.children.length > EVENT_ROWS) body.removeChild(body.lastChild);
      var none = document.getElementById("no-events");
      if (none) none.remove();
    });
    source.onopen = function () { up(source); };
    source.onerror = function () { down(source); };
  }

  function start() {
    follow(document.getElementById("log"));
    var events = document.getElementById("events");
    if (events) streamEvents(events);
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "log-panel") follow(document.getElementById("log"));
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
