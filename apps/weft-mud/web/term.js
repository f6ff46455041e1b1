// weft-mud's browser terminal: an AmigaDOS 1.3 CLI window around xterm.js, talking to the
// server's /ws endpoint (see docs/mud-terminal.md for the protocol).
//
// The typed line lives in a LineEditor and is drawn by the page after the server's prompt, so
// the server never echoes. Invariant: `shown` is non-null exactly when typed text (or a moved
// cursor) is on the screen after the prompt; output first erases it, then draws it again below.
(function () {
  'use strict';

  const COMMANDS = [
    'north', 'south', 'east', 'west', 'northeast', 'northwest', 'southeast', 'southwest', 'up', 'down',
    'look', 'examine', 'say', 'shout', 'tell', 'emote', 'who', 'get', 'take', 'drop', 'give',
    'inventory', 'help', 'quit', 'colour', 'color', 'password',
    '@tasklets', '@lag', '@who', '@shutdown',
  ];
  // Lines that name someone: "Ada arrives from the north.", "  Bron the librarian is here."
  const NAMED = /^\s*([A-Z][a-z'-]{1,30})\b.*?\b(is here|arrives|leaves|has entered the game|says,|shouts,|tells you,|waves|gives)/;
  // The four Workbench pens plus ANSI colours chosen to read on pen 0 (docs/mud-terminal.md).
  const THEME = {
    background: '#0055AA', foreground: '#FFFFFF',
    cursor: '#FF8800', cursorAccent: '#000022',
    selectionBackground: '#FF8800', selectionForeground: '#000022', selectionInactiveBackground: '#FF8800',
    black: '#000022', red: '#FF5544', green: '#55DD55', yellow: '#FF8800',
    blue: '#88BBFF', magenta: '#FF77DD', cyan: '#66EEEE', white: '#BBBBBB',
    brightBlack: '#555577', brightRed: '#FF8877', brightGreen: '#99FF99', brightYellow: '#FFBB44',
    brightBlue: '#BBDDFF', brightMagenta: '#FFAAEE', brightCyan: '#AAFFFF', brightWhite: '#FFFFFF',
  };
  const FONT = '"weft-amiga", monospace';
  const ORANGE = '\x1b[33m';
  const RESET = '\x1b[0m';
  const TITLE_H = 20;  // window title bar
  const SCREEN_H = 22; // screen title bar + gap
  const CHROME_W = 2 + 8; // side borders + the strip beside the sizing gadget
  const CHROME_H = TITLE_H + 2;
  const HISTORY_KEY = 'weft-mud.history';
  // The resume token survives a reload of this tab: written when the page goes away, taken
  // (and removed) when it starts, so a live page never leaves it in sessionStorage for a
  // duplicated tab to copy (two pages resuming one session would take it from each other).
  const RESUME_KEY = 'weft-mud.resume';

  const $ = (id) => document.getElementById(id);
  const win = $('window');
  const kbd = $('kbd');
  const termEl = $('term');
  const splitBox = $('split');

  const options = {
    fontFamily: FONT, fontSize: 16, lineHeight: 1, letterSpacing: 0, theme: THEME,
    cursorBlink: false, cursorStyle: 'block', cursorInactiveStyle: 'block',
    convertEol: true, disableStdin: true, scrollback: 5000, drawBoldTextInBrightColors: true,
    cols: 80, rows: 24,
  };
  const term = new Terminal(options);
  const split = new Terminal({ ...options, scrollback: 0, rows: 8 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);

  let history = [];
  try { history = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]'); } catch (e) { history = []; }
  const ed = new LineEditor({ commands: COMMANDS, history });
  const wrap = new WordWrap(80);
  const names = new Set();
  let shown = null;
  let cell = { w: 8, h: 16 };

  // ---- drawing -------------------------------------------------------------------------------

  function write(s, done) {
    if (!s) { if (done) done(); return; }
    term.write(s, done);
    split.write(s);
  }

  function clearSeq() {
    if (!shown) return '';
    let s = shown.cursorRow > 0 ? `\x1b[${shown.cursorRow}A` : '';
    s += `\x1b[${wrap.col + 1}G\x1b[J`;
    shown = null;
    return s;
  }

  function renderSeq() {
    if (ed.secret || (ed.chars.length === 0)) return '';
    const pc = wrap.col;
    const L = ed.layout(term.cols - pc, term.cols);
    let s = L.rows.join('\r\n');
    const up = L.rows.length - 1 - L.cursorRow;
    if (up > 0) s += `\x1b[${up}A`;
    s += `\x1b[${(L.cursorRow === 0 ? pc : 0) + L.cursorCol + 1}G`;
    shown = { cursorRow: L.cursorRow };
    return s;
  }

  function render() { write(clearSeq() + renderSeq()); }

  // Server output: erase the typed line, write, draw the typed line again after the new prompt.
  function output(text) {
    const w = wrap.push(text);
    if (!w) return;
    write(clearSeq() + w + renderSeq(), updateSplit);
    announce(text);
    collectNames(text);
  }

  // A line of the page's own, in orange, above the prompt (which is written again below it).
  function status(msg) {
    const before = wrap.col > 0 ? '\r\n' : '';
    const prompt = wrap.line;
    const col = wrap.col;
    write(clearSeq() + before + ORANGE + msg + RESET + '\r\n' + prompt);
    wrap.col = col;
    render();
  }

  // ---- input ---------------------------------------------------------------------------------

  function submit() {
    const secret = ed.secret;
    ed.end();
    const echo = clearSeq() + renderSeq();
    const line = ed.submit();
    write(echo + '\r\n');
    shown = null;
    wrap.wrote('\r\n');
    term.scrollToBottom();
    if (!secret) {
      try { localStorage.setItem(HISTORY_KEY, JSON.stringify(ed.entries)); } catch (e) { /* private mode */ }
      if (/^\s*who\s*$/i.test(line)) whoUntil = Date.now() + 3000;
    }
    if (!sendLine(line)) status('weft-mud: not connected — line not sent');
  }

  kbd.addEventListener('keydown', (e) => {
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === 'PageUp' || e.key === 'PageDown') {
      e.preventDefault();
      term.scrollPages(e.key === 'PageUp' ? -1 : 1);
      updateSplit();
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c' && term.hasSelection()) {
      e.preventDefault();
      if (navigator.clipboard) navigator.clipboard.writeText(term.getSelection()).catch(() => {});
      return;
    }
    const r = ed.key(e, [...names]);
    if (r === null) return;
    e.preventDefault();
    if (r === 'submit') submit(); else render();
  });
  kbd.addEventListener('beforeinput', (e) => {
    if (e.isComposing) return;
    switch (e.inputType) {
      case 'insertText': case 'insertReplacementText':
        e.preventDefault();
        if (e.data) { ed.insert(e.data); render(); }
        break;
      case 'insertLineBreak': case 'insertParagraph': e.preventDefault(); submit(); break;
      case 'deleteContentBackward': e.preventDefault(); ed.backspace(); render(); break;
      case 'deleteContentForward': e.preventDefault(); ed.del(); render(); break;
      default: break;
    }
  });
  kbd.addEventListener('compositionend', () => {
    if (kbd.value) { ed.insert(kbd.value); kbd.value = ''; render(); }
  });
  kbd.addEventListener('input', (e) => {
    if (e.isComposing || !kbd.value) return;
    ed.insert(kbd.value);
    kbd.value = '';
    render();
  });
  kbd.addEventListener('paste', (e) => {
    e.preventDefault();
    const lines = (e.clipboardData.getData('text/plain') || '').split(/\r\n|\r|\n/);
    lines.forEach((l, i) => { ed.insert(l); if (i < lines.length - 1) submit(); });
    render();
  });
  kbd.addEventListener('focus', () => win.classList.add('active'));
  kbd.addEventListener('blur', () => win.classList.remove('active'));

  function focusInput() { kbd.focus({ preventScroll: true }); }
  win.addEventListener('mouseup', () => { if (!term.hasSelection()) focusInput(); });
  win.addEventListener('touchend', () => focusInput());

  // ---- names for Tab: GMCP Room.Info players, Comm.Channel talkers, the lines `who` prints ----

  let whoUntil = 0;
  function collectNames(text) {
    const who = Date.now() < whoUntil;
    for (const line of text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/)) {
      const m = (who ? /^\s*([A-Z][A-Za-z'-]{1,30})\b/ : NAMED).exec(line);
      if (m && !/^(Players?|Name|There|Total|You|Who|The|A|An)$/.test(m[1])) names.add(m[1]);
    }
  }

  function nameOf(p) { return typeof p === 'string' ? p : (p && (p.name || p.id)) || null; }

  // ---- screen readers: new lines go to an aria-live region ---------------------------------

  const live = $('live');
  function announce(text) {
    const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').trim();
    if (!clean) return;
    const p = document.createElement('div');
    p.textContent = clean;
    live.appendChild(p);
    while (live.childNodes.length > 20) live.removeChild(live.firstChild);
  }

  // ---- connection ----------------------------------------------------------------------------

  const conn = {
    ws: null, gmcp: false, token: null, received: 0, lost: false, attempts: 0, timer: null, holdUntil: 0,
    decoder: new TextDecoder('utf-8'), encoder: new TextEncoder(), prompt: '1> ',
  };
  try {
    conn.token = sessionStorage.getItem(RESUME_KEY);  // received 0: the server replays what it kept
    sessionStorage.removeItem(RESUME_KEY);
  } catch (e) { /* storage disabled: a reload logs in again */ }
  window.addEventListener('pagehide', () => {
    try { if (conn.token) sessionStorage.setItem(RESUME_KEY, conn.token); } catch (e) { /* as above */ }
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) try { sessionStorage.removeItem(RESUME_KEY); } catch (err) { /* as above */ }
  });

  function sendGmcp(name, data) {
    if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN || !conn.gmcp) return;
    conn.ws.send(name + (data === undefined ? '' : ' ' + JSON.stringify(data)));
  }

  function sendLine(line) {
    if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(conn.encoder.encode(line));
    return true;
  }

  function sendWindow() { sendGmcp('Core.Window', { cols: term.cols, rows: term.rows }); }

  function connect() {
    conn.timer = null;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    let ws;
    try {
      ws = new WebSocket(url, ['gmcp.mudstandards.org', 'terminal.mudstandards.org']);
    } catch (e) {
      retry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    conn.ws = ws;
    ws.onopen = () => {
      conn.gmcp = ws.protocol === 'gmcp.mudstandards.org';
      conn.attempts = 0;
      // Resume first, so that the server knows before it greets a new login.
      if (conn.token) sendGmcp('Core.Resume', { token: conn.token, received: conn.received });
      sendGmcp('Core.Hello', { client: 'weft-term', version: '1' });
      sendWindow();
      if (conn.lost) status('weft-mud: reconnected');
      conn.lost = false;
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') { gmcp(ev.data); return; }
      conn.received += ev.data.byteLength;
      output(conn.decoder.decode(new Uint8Array(ev.data), { stream: true }));
    };
    ws.onclose = () => {
      if (conn.ws !== ws) return;
      conn.ws = null;
      if (!conn.lost) status('weft-mud: connection lost — retrying');
      conn.lost = true;
      if (ed.secret) { ed.secret = false; render(); }
      retry();
    };
  }

  function retry() {
    if (conn.timer) return;
    const delay = Math.max(Math.min(5000, 250 * 2 ** Math.min(conn.attempts, 5)), conn.holdUntil - Date.now());
    conn.attempts++;
    conn.timer = setTimeout(connect, delay);
  }

  function gmcp(message) {
    const sp = message.indexOf(' ');
    const name = (sp < 0 ? message : message.slice(0, sp)).toLowerCase();
    let data = null;
    if (sp >= 0) { try { data = JSON.parse(message.slice(sp + 1)); } catch (e) { data = null; } }
    data = data || {};
    switch (name) {
      case 'core.session':
        conn.token = data.token || null;
        conn.received = 0;
        break;
      case 'core.resumed':  // the replay that follows starts at this output byte
        conn.received = Number(data.from) || 0;
        break;
      case 'core.echo':
        ed.secret = data.on === false;
        if (ed.secret) ed.eraseLine();
        render();
        break;
      case 'core.prompt':
        if (typeof data.text === 'string') conn.prompt = data.text;
        wrap.markPrompt();
        break;
      case 'core.goodbye':
        status('weft-mud: ' + (data.reason || 'the server is going away'));
        break;
      case 'room.info': {
        if (data.name) setTitle(String(data.name));
        for (const list of [data.players, data.characters, data.items, data.objects]) {
          if (Array.isArray(list)) for (const p of list) { const n = nameOf(p); if (n) names.add(n); }
        }
        break;
      }
      case 'comm.channel': {
        const n = data.talker || data.from || data.sender;
        if (n) names.add(String(n));
        break;
      }
      case 'char.vitals': {
        const parts = Object.entries(data).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k} ${v}`);
        $('screen-text').textContent = 'weft-mud release 1.0.   ' + (parts.join('  ') || '2097152 free memory');
        break;
      }
      default: break;
    }
  }

  function setTitle(room) {
    $('title').textContent = room ? 'AmigaDOS — ' + room : 'AmigaDOS';
    document.title = room ? room + ' — weft-mud' : 'weft-mud';
  }

  // ---- the window: size in whole cells, drag, resize, split while scrolled back -----------------

  function splitRows(rows) { return Math.max(3, Math.min(10, Math.floor(rows / 3))); }

  function place(cols, rows) {
    termEl.style.width = cols * cell.w + 'px';
    termEl.style.height = rows * cell.h + 'px';
    win.style.width = cols * cell.w + 8 + 'px';
    splitBox.style.height = splitRows(rows) * cell.h + 'px';
  }

  let windowTimer = null;
  function resize(cols, rows) {
    if (cols === term.cols && rows === term.rows) { place(cols, rows); return; }
    write(clearSeq(), () => {
      term.resize(cols, rows);
      split.resize(cols, splitRows(rows));
      wrap.cols = cols;
      wrap.col = Math.min(wrap.col, cols);
      place(cols, rows);
      render();
      updateSplit();
      clearTimeout(windowTimer);
      windowTimer = setTimeout(sendWindow, 150);
    });
  }

  // The fit addon turns a box in pixels into whole cells.
  function fitTo(width, height) {
    // The fit addon takes a scroll bar's width off (15 px when it measures none); ours is hidden.
    const core = term._core;
    const bar = (core && core.viewport && core.viewport.scrollBarWidth) || 0;
    termEl.style.width = Math.max(cell.w * 20, width) + bar + 'px';
    termEl.style.height = Math.max(cell.h * 4, height) + 'px';
    const d = fit.proposeDimensions();
    if (!d || !isFinite(d.cols) || !isFinite(d.rows)) { place(term.cols, term.rows); return; }
    resize(Math.max(20, d.cols), Math.max(4, d.rows));
  }

  function isPhone() { return window.innerWidth < 80 * cell.w + CHROME_W + 4; }

  function layoutScreen() {
    const vw = window.visualViewport ? window.visualViewport.width : window.innerWidth;
    const vh = window.visualViewport ? window.visualViewport.height : window.innerHeight;
    document.body.classList.toggle('phone', isPhone());
    if (isPhone()) {
      fitTo(vw - CHROME_W, vh - SCREEN_H - CHROME_H);
    } else if (!layoutScreen.done) {
      const rows = Math.min(30, Math.floor((vh - SCREEN_H - CHROME_H) / cell.h));
      fitTo(80 * cell.w, rows * cell.h);
    }
    layoutScreen.done = true;
  }

  function drag(handle, onMove) {
    handle.addEventListener('pointerdown', (e) => {
      if (document.body.classList.contains('phone') || e.button !== 0) return;
      e.preventDefault();
      handle.setPointerCapture(e.pointerId);
      const start = { x: e.clientX, y: e.clientY, left: win.offsetLeft, top: win.offsetTop,
        w: termEl.offsetWidth, h: termEl.offsetHeight };
      const move = (ev) => onMove(start, ev.clientX - start.x, ev.clientY - start.y);
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        focusInput();
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
  }

  function setupWindow() {
    drag($('title-bar'), (s, dx, dy) => {
      win.style.left = Math.max(0, Math.min(window.innerWidth - 40, s.left + dx)) + 'px';
      win.style.top = Math.max(0, Math.min(window.innerHeight - TITLE_H, s.top + dy)) + 'px';
    });
    drag($('size-gadget'), (s, dx, dy) => {
      const cols = Math.max(20, Math.round((s.w + dx) / cell.w));
      const rows = Math.max(4, Math.round((s.h + dy) / cell.h));
      resize(cols, rows);
    });
    $('close-gadget').addEventListener('pointerdown', (e) => e.stopPropagation());
    $('close-gadget').addEventListener('click', () => {
      if (window.confirm('Quit weft-mud?')) sendLine('quit');
      focusInput();
    });
    window.addEventListener('resize', layoutScreen);
    // Leaving the page while playing asks first (the character would linger until it times out).
    window.addEventListener('beforeunload', (e) => {
      if (conn.ws && conn.token) { e.preventDefault(); e.returnValue = ''; }
    });
    if (window.visualViewport) window.visualViewport.addEventListener('resize', layoutScreen);
  }

  // While the main view is scrolled back, the split shows the live end of the output.
  function updateSplit() {
    const b = term.buffer.active;
    const back = b.viewportY < b.baseY;
    if (splitBox.hidden === !back) return;
    splitBox.hidden = !back;
    if (!back) return;
    split.refresh(0, split.rows - 1);
    if (!updateSplit.focused && document.activeElement === kbd) {
      // xterm draws no cursor until it has been focused once (visible); the focus comes back.
      updateSplit.focused = true;
      split.focus();
      focusInput();
    }
  }

  // ---- start: the font must be loaded before xterm measures its cells --------------------------

  function start() {
    term.open(termEl);
    split.open($('split-term'));
    splitBox.hidden = true;
    const screen = termEl.querySelector('.xterm-screen');
    const r = screen.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) cell = { w: r.width / term.cols, h: r.height / term.rows };
    term.onScroll(updateSplit);
    termEl.querySelector('.xterm-viewport').addEventListener('scroll', updateSplit);
    for (const t of [term, split]) {
      t.textarea.tabIndex = -1;
      t.textarea.addEventListener('focus', () => focusInput());
    }
    setupWindow();
    layoutScreen();
    // xterm draws no cursor until it has been focused once; then the focus goes to our input.
    term.focus();
    focusInput();
    connect();
  }

  // For tests and the curious: the screen as text, and a way to drop the connection.
  window.weft = {
    term, split, editor: ed, conn, names,
    screen() {
      const b = term.buffer.active;
      const lines = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      return lines.join('\n');
    },
    cursor() { const b = term.buffer.active; return { x: b.cursorX, y: b.cursorY + b.baseY }; },
    // Closes the socket as a network drop would; the page stays away for `holdMs` (or until
    // release()), so that output can be missed meanwhile.
    drop(holdMs = 0) {
      conn.holdUntil = Date.now() + holdMs;
      if (conn.ws) conn.ws.close(4000, 'dropped by the page');
    },
    release() {
      conn.holdUntil = 0;
      if (conn.timer) { clearTimeout(conn.timer); conn.timer = null; connect(); }
    },
    splitShown() { return !splitBox.hidden; },
  };

  document.fonts.load('16px "weft-amiga"').then(start, start);
})();
