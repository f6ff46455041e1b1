// weft-mud in a real browser: starts the weft-mud binary on loopback, opens its page in headless
// Chromium (playwright-core), creates an account, moves, edits a line with the cursor keys,
// Backspace and Delete before sending it, uses history and Tab, drops the connection and checks
// that the page resumes the same session, then logs in again at a phone-sized viewport, and
// finally stops and restarts the server under the page.
// Screenshots go to the output directory.
//
// Usage: node mud_browser_test.js --binary build/apps/weft-mud/weft-mud --out <dir>
//        [--web build/apps/weft-mud/web] [--chromium /usr/bin/chromium]
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const binary = args.binary;
const out = path.resolve(args.out || '.');
const chromiumPath = args.chromium || '/usr/bin/chromium';
const TIMEOUT = 15000;

// Before anything runs: say what is missing and stop.
function die(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}
// While the server runs: the error reaches the main flow, which stops the server and the browser.
function fail(msg) {
  throw new Error(msg);
}
if (!binary || !fs.existsSync(binary)) die(`weft-mud binary not found: ${binary} (build the weft-mud target first)`);
if (args.web && !fs.existsSync(path.join(args.web, 'index.html')))
  die(`the page is not in ${args.web}: build the weft_mud_web target (cmake/weft_mud_web.cmake)`);
if (!fs.existsSync(chromiumPath)) die(`chromium not found at ${chromiumPath} (apt-get install chromium, or make deps)`);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  die('playwright-core is missing: run `npm ci` at the repository root (make deps)');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

async function startServer(data, telnetPort, httpPort, logName) {
  const log = fs.openSync(path.join(out, logName), 'w');
  const child = spawn(binary, ['--telnet-port', String(telnetPort), '--http-port', String(httpPort),
    '--data', data, '--bind', '127.0.0.1'], { stdio: ['ignore', log, log] });
  let exited = null;
  child.on('exit', (code, sig) => { exited = `exited with ${code ?? sig}`; });
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    if (exited) die(`weft-mud ${exited} before serving (see ${path.join(out, logName)})`);
    try {
      const r = await get(base + '/');
      if (r.status === 200) break;
    } catch (e) { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); die('weft-mud did not answer HTTP within 15 s'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = new Promise((r) => child.on('exit', (code, sig) => r(code ?? sig)));
  return { child, base, done };
}

// SIGTERM, then the exit status (or 'SIGKILL' when it took longer than 10 s).
async function stopServer(server) {
  server.child.kill('SIGTERM');
  const t = setTimeout(() => server.child.kill('SIGKILL'), 10000);
  const code = await server.done;
  clearTimeout(t);
  return code;
}

// The page's screen as text, from xterm's buffer.
const screen = (page) => page.evaluate(() => window.weft.screen());
const lastLine = async (page) => {
  const lines = (await screen(page)).split('\n').map((l) => l.trimEnd());
  let i = lines.length - 1;
  while (i > 0 && !lines[i]) i--;
  return { text: lines[i] || '', index: i };
};

async function waitScreen(page, re, what) {
  try {
    await page.waitForFunction((src) => new RegExp(src, 'm').test(window.weft.screen()), re.source, { timeout: TIMEOUT });
  } catch (e) {
    fail(`${what}: /${re.source}/ never showed; the screen was:\n${await screen(page)}`);
  }
}

// Waits until the last line on the screen, below line `after`, asks something; returns it.
async function question(page, after, what) {
  const asks = /(\? ?\(yes\/no\)|\?|:|>)$/;
  const deadline = Date.now() + TIMEOUT;
  let prev = null;
  for (;;) {
    const l = await lastLine(page);
    if (l.index > after && asks.test(l.text) && prev && l.text === prev.text && l.index === prev.index) return l;
    prev = l;
    if (Date.now() > deadline) fail(`${what}: no question; the screen was:\n${await screen(page)}`);
    await page.waitForTimeout(150);
  }
}

async function send(page, text) {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

// The login dialogue: name, then (new) yes + password twice or (known) the password.
async function login(page, name, password) {
  await waitScreen(page, /name/i, 'the name question');
  let q = await question(page, -1, 'the name question');
  await send(page, name);
  for (let round = 0; round < 6; round++) {
    q = await question(page, q.index, 'login');
    if (/^\d*> ?$/.test(q.text)) return;
    if (/yes\/no/i.test(q.text)) { await send(page, 'yes'); continue; }
    if (/password|again/i.test(q.text)) {
      assert.equal(await page.evaluate(() => window.weft.editor.secret), true,
        `Core.Echo {"on":false} before "${q.text}" hides the typed password`);
      await page.keyboard.type(password);
      assert.ok(!(await screen(page)).includes(password), 'the password is not drawn');
      await page.keyboard.press('Enter');
      continue;
    }
    fail(`login: unexpected question "${q.text}"; the screen was:\n${await screen(page)}`);
  }
  fail('login: no game prompt after six answers');
}

const count = (s, re) => (s.match(new RegExp(re.source, 'gm')) || []).length;

async function desktop(browser, base, name, password) {
  const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base + '/') && r.url() !== 'about:blank') foreign.push(r.url()); });
  // The Content-Security-Policy header must not block anything the page does.
  const cspBlocked = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspBlocked.push(m.text()); });
  await page.goto(base + '/');
  await login(page, name, password);
  const geo = await page.evaluate(() => ({ cols: window.weft.term.cols, rows: window.weft.term.rows,
    proto: window.weft.conn.ws && window.weft.conn.ws.protocol, token: window.weft.conn.token }));
  assert.equal(geo.cols, 80, 'the desktop window is 80 columns');
  assert.equal(geo.proto, 'gmcp.mudstandards.org', 'the server picks the GMCP subprotocol');
  assert.ok(geo.token, 'the server sent Core.Session with a resume token');

  // Move: the first exit the room lists.
  await send(page, 'look');
  await waitScreen(page, /[Ee]xits?:/, 'the room\'s exits');
  const title0 = await page.textContent('#title');
  const exits = /[Ee]xits?:\s*([a-z]+)/.exec(await screen(page));
  assert.ok(exits, 'a room lists its exits');
  await send(page, exits[1]);
  await page.waitForFunction((t) => document.getElementById('title').textContent !== t, title0, { timeout: TIMEOUT })
    .catch(async () => fail(`moving ${exits[1]} did not change the room (title "${title0}"):\n${await screen(page)}`));

  // Edit a line before sending it: Backspace at the end, Delete at the start, insert in the middle.
  await page.keyboard.type('xsay helo wrldq');
  await page.keyboard.press('Backspace');           // xsay helo wrld
  await page.keyboard.press('Home');
  await page.keyboard.press('Delete');              // say helo wrld
  await page.keyboard.press('End');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
  await page.keyboard.type('o');                    // say helo world
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
  await page.keyboard.type('l');                    // say hello world
  await page.waitForFunction(() => / say hello world$/m.test(window.weft.screen()), null, { timeout: TIMEOUT })
    .catch(async () => fail(`the edited line is not drawn as "say hello world":\n${await screen(page)}`));
  const cur = await page.evaluate(() => window.weft.cursor());
  const row = (await screen(page)).split('\n')[cur.y];
  assert.equal(row.slice(cur.x - 'say hell'.length, cur.x), 'say hell', 'the cursor stands after "hell"');
  await page.keyboard.press('Enter');
  await waitScreen(page, /You say.*hello world/, 'the server\'s answer to the edited line');

  // History: Up brings the line back; sent again, the room hears it twice.
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => window.weft.editor.text), 'say hello world', 'Up recalls the last line');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window.weft.screen().match(/You say.*hello world/g) || []).length >= 2, null,
    { timeout: TIMEOUT }).catch(async () => fail(`history: the recalled line was not sent:\n${await screen(page)}`));

  // Tab completes a command.
  await page.keyboard.type('inven');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => window.weft.editor.text), 'inventory ', 'Tab completes "inven"');
  await page.keyboard.press('Enter');
  await waitScreen(page, /> inventory\s*$/m, 'the completed command echoed');
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(out, 'weft-mud-terminal.png') });

  // Scrolled back, the split shows the live end.
  for (let i = 0; i < 12 && await page.evaluate(() => window.weft.term.buffer.active.baseY) < 5; i++) {
    await send(page, 'look');
    await page.waitForTimeout(150);
  }
  await page.evaluate(() => window.weft.term.scrollToTop());
  await page.waitForFunction(() => window.weft.splitShown(), null, { timeout: TIMEOUT })
    .catch(() => fail('scrolling back did not open the split'));
  await page.evaluate(() => window.weft.term.scrollToBottom());
  await page.waitForFunction(() => !window.weft.splitShown(), null, { timeout: TIMEOUT });

  // The connection drops: the page says so. While it is away another player shouts; when it
  // reconnects it resumes the same character and shows the shout it missed.
  const before = count(await screen(page), /You say.*hello world/);
  await page.evaluate(() => window.weft.drop(60000));
  await waitScreen(page, /connection lost/, 'the lost-connection notice');
  const other = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  await other.goto(base + '/');
  await login(other, 'Visitor', password);
  await send(other, 'shout psst');
  await waitScreen(other, /You shout.*psst/i, 'the other player\'s shout');
  await other.close();
  assert.ok(!/shouts.*psst/.test(await screen(page)), 'the shout is not shown while away');
  await page.evaluate(() => window.weft.release());
  await waitScreen(page, /reconnected/, 'the reconnected notice');
  await waitScreen(page, /Visitor shouts.*psst/, 'the output missed while away, replayed on resume');

  // Tab completes a name the page has seen; Ctrl-X erases the line.
  await page.keyboard.type('tell vis');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => window.weft.editor.text), 'tell Visitor ', 'Tab completes a name');
  await page.keyboard.press('Control+x');
  assert.equal(await page.evaluate(() => window.weft.editor.text), '', 'Ctrl-X erases the line');
  await page.waitForFunction(() => !/tell Vis/.test(window.weft.screen().split('\n').pop()), null, { timeout: TIMEOUT })
    .catch(async () => fail(`the erased line stays on the screen:\n${await screen(page)}`));
  await page.waitForTimeout(300);
  const afterDrop = await screen(page);
  assert.ok(!/By what name/.test(afterDrop.split('reconnected')[1] || ''), 'resumed: no new login after reconnecting');
  await send(page, 'say again');
  await waitScreen(page, /You say.*again/, 'a command after resuming');
  assert.equal(count(await screen(page), /You say.*hello world/), before, 'resumed output is not repeated');

  // Reload: the tab keeps its resume token (sessionStorage), so the new page resumes the same
  // character (the server would have sent a new token for a new login) and shows the recent
  // output again. Then the tab goes elsewhere while someone shouts, and comes back: the shout
  // it missed is on the screen.
  page.on('dialog', (d) => d.accept());  // the leave guard asks before a playing page unloads
  const token = geo.token;
  await page.reload();
  await waitScreen(page, /You say.*again/, 'the recent output, replayed after a reload');
  await send(page, 'say after reload');
  await waitScreen(page, /You say.*after reload/, 'a command after the reload');
  assert.equal(await page.evaluate(() => window.weft.conn.token), token, 'the reloaded page resumed the same session');
  await page.goto('about:blank');
  const shouter = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  await shouter.goto(base + '/');
  await login(shouter, 'Visitor', password);
  await send(shouter, 'shout while you were gone');
  await waitScreen(shouter, /You shout.*while you were gone/i, 'the second shout');
  await shouter.close();
  await page.goto(base + '/');
  await waitScreen(page, /Visitor shouts.*while you were gone/, 'the output missed while the tab was elsewhere');
  assert.equal(await page.evaluate(() => window.weft.conn.token), token, 'back in the tab: the same session');
  await send(page, 'look');
  await waitScreen(page, /while you were gone[^]*[Ee]xits?:/, 'a command after coming back');

  await page.screenshot({ path: path.join(out, 'weft-mud-terminal-resumed.png') });
  assert.deepEqual(foreign, [], 'the page asks nothing of any host but weft-mud (no CDN)');
  assert.deepEqual(cspBlocked, [], 'the Content-Security-Policy blocks nothing the page needs');

  // The window moves by its title bar and resizes by its sizing gadget, in whole cells.
  const box = async (sel) => page.locator(sel).boundingBox();
  const bar = await box('#title');
  await page.mouse.move(bar.x + bar.width + 40, bar.y + 10);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width + 90, bar.y + 40, { steps: 4 });
  await page.mouse.up();
  const moved = await box('#window');
  assert.deepEqual([Math.round(moved.x), Math.round(moved.y)], [50, 52], 'dragged by the title bar');
  const grip = await box('#size-gadget');
  await page.mouse.move(grip.x + 4, grip.y + 9);
  await page.mouse.down();
  await page.mouse.move(grip.x + 4 - 160, grip.y + 9 - 160, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => window.weft.term.cols === 60 && window.weft.term.rows === 20, null, { timeout: TIMEOUT })
    .catch(async () => fail(`resize: ${await page.evaluate(() => [window.weft.term.cols, window.weft.term.rows])}`));
  const sized = await box('#window');
  assert.equal(Math.round(sized.width), 60 * 8 + 8 + 2, 'the window hugs 60 cells');
  await send(page, 'look');
  await waitScreen(page, /[Ee]xits?:/, 'look after resizing');
  assert.deepEqual(errors, [], 'no script errors on the page');
  await page.close();
}

async function phone(browser, base, name, password) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await login(page, name, password);
  const geo = await page.evaluate(() => ({ cols: window.weft.term.cols, rows: window.weft.term.rows,
    width: document.getElementById('window').getBoundingClientRect().right }));
  assert.ok(geo.cols >= 40 && geo.cols < 80, `a phone gets fewer columns (${geo.cols})`);
  assert.ok(geo.width <= 390, `the window fits the phone's width (${geo.width})`);
  await page.tap('#term');
  await send(page, 'look');
  await waitScreen(page, /[Ee]xits?:/, 'look on the phone');
  const lines = (await screen(page)).split('\n');
  assert.ok(lines.every((l) => l.length <= geo.cols), 'no line is wider than the window');
  await page.screenshot({ path: path.join(out, 'weft-mud-terminal-phone.png') });
  assert.deepEqual(errors, [], 'no script errors on the page');
  return { ctx, page };
}

// The colour index of the first cell of the last line containing `text`.
const colourOf = (page, text) => page.evaluate((t) => {
  const b = window.weft.term.buffer.active;
  for (let i = b.length - 1; i >= 0; i--) {
    const line = b.getLine(i);
    const x = line.translateToString(true).indexOf(t);
    if (x >= 0) { const c = line.getCell(x); return c.isFgPalette() ? c.getFgColor() : -1; }
  }
  return null;
}, text);

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-mud-e2e-'));
  const ports = [await freePort(), await freePort()];
  let server = await startServer(data, ...ports, 'mud_browser_server.log');
  const base = server.base;
  let browser;
  const timer = setTimeout(() => { console.error('FAIL: timed out'); server.child.kill('SIGKILL'); process.exit(1); }, 150000);
  try {
    // The page and its assets come from the server itself (no CDN).
    for (const [file, type] of [['/', 'text/html'], ['/term.js', 'text/javascript'], ['/xterm.js', 'text/javascript'],
      ['/term.css', 'text/css'], ['/Amiga-Regular.ttf', 'font/ttf'], ['/OFL.txt', 'text/plain']]) {
      const r = await get(base + file);
      assert.equal(r.status, 200, `GET ${file}`);
      assert.ok((r.type || '').startsWith(type), `GET ${file} is ${type} (got ${r.type})`);
    }
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const name = 'Tester';
    const password = 'sesame-' + process.pid;
    await desktop(browser, base, name, password);
    console.log('ok desktop: account, move, line editing, history, Tab, split, resume with missed output, drag, resize');
    const { page } = await phone(browser, base, name, password);
    console.log('ok phone: login, narrow window, look');

    // The server goes away: the page says so in orange (ANSI yellow = the orange pen), and when
    // the server is back it reconnects by itself (the restarted server knows no session: login).
    assert.equal(await stopServer(server), 0, 'weft-mud exits 0 after SIGTERM');
    await waitScreen(page, /connection lost/, 'the lost-connection notice when the server stops');
    assert.equal(await colourOf(page, 'weft-mud: connection lost'), 3, 'the notice is orange');
    server = await startServer(data, ...ports, 'mud_browser_server_restarted.log');
    await waitScreen(page, /reconnected[^]*name/, 'reconnecting by itself to the restarted server');
    console.log('ok server restart: notice in orange, reconnected by itself');
  } catch (e) {
    console.error('FAIL:', e && e.stack || e);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close();
    await stopServer(server);
    fs.rmSync(data, { recursive: true, force: true });
  }
})();
