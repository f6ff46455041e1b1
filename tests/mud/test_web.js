// weft-mud's web side from outside: static files with the contract's Content-Types, the
// WebSocket endpoint (subprotocol choice, Origin check, BINARY text and TEXT GMCP, Core.Session,
// Core.Echo for passwords, no server echo), and resume after a dropped socket with the output
// missed meanwhile. Usage: node test_web.js WEFT_MUD REPO_ROOT
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');

const [binary, root] = process.argv.slice(2);
const WebSocket = require(path.join(root, 'node_modules', 'ws'));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-mud-web-'));
const web = path.join(tmp, 'web');
fs.mkdirSync(web);
fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>t</title>');
fs.writeFileSync(path.join(web, 'term.js'), 'console.log(1)');
fs.writeFileSync(path.join(web, 'term.css'), 'body{}');
fs.writeFileSync(path.join(web, 'OFL.txt'), 'licence');
fs.writeFileSync(path.join(tmp, 'secret.txt'), 'must not be served');

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--telnet-port', '0', '--http-port', '0', '--data', path.join(tmp, 'd'),
      '--kdf-cost', '4', '--web', web, '--ws-ping', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m && out.includes('Ctrl-C')) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error('weft-mud exited ' + code + ': ' + out)));
  });
}

function get(port, p, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], headers: res.headers, body }));
    }).on('error', reject);
  });
}

// A page-like client: collects BINARY text and TEXT GMCP.
class Page {
  constructor(port, opts = {}) {
    this.text = '';
    this.raw = '';
    this.gmcp = [];
    this.received = 0;
    this.pos = 0;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, opts.protocols || ['gmcp.mudstandards.org', 'terminal.mudstandards.org'],
      { origin: opts.origin || `http://127.0.0.1:${port}`, autoPong: opts.autoPong !== false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) { this.received += data.length; this.raw += data.toString('utf8'); this.text = this.raw.replace(/\x1b\[[0-9;]*m/g, ''); } else this.gmcp.push(data.toString());
    });
    this.opened = new Promise((resolve, reject) => { this.ws.on('open', resolve); this.ws.on('error', reject); this.ws.on('unexpected-response', (req, res) => reject(new Error('HTTP ' + res.statusCode))); });
    this.closed = new Promise((resolve) => this.ws.on('close', resolve));
  }
  gmcpSend(name, data) { this.ws.send(name + ' ' + JSON.stringify(data)); }
  line(s) { this.ws.send(Buffer.from(s), { binary: true }); }
  async expect(re, ms = 8000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text.slice(this.pos));
      if (m) { this.pos += m.index + m[0].length; return m; }
      if (Date.now() > end) throw new Error(`expected ${re} in: ${JSON.stringify(this.text.slice(this.pos).slice(-800))}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }
  async gmcpWait(name, ms = 8000) {
    const end = Date.now() + ms;
    for (;;) {
      const g = this.gmcp.find((x) => x.startsWith(name));
      if (g) return JSON.parse(g.slice(name.length + 1) || '{}');
      if (Date.now() > end) throw new Error('no GMCP ' + name + ': ' + JSON.stringify(this.gmcp));
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

(async () => {
  const { child, port } = await startServer();
  try {
    // Static files and their types; nothing outside the web directory.
    let r = await get(port, '/');
    assert.equal(r.status, 200); assert.equal(r.type, 'text/html; charset=utf-8');
    // A Content-Security-Policy: the page's own scripts only (no inline script), its own /ws.
    const csp = r.headers['content-security-policy'] || '';
    assert.match(csp, /default-src 'self'/, 'CSP header: ' + csp);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script: ' + csp);
    assert.match(csp, /connect-src 'self'/, csp);
    assert.match(csp, /frame-ancestors 'none'/, csp);
    assert.ok(!/unsafe-eval/.test(csp), csp);
    // ...which the real page keeps to: every script is a file, no inline handlers.
    const page = fs.readFileSync(path.join(root, 'apps', 'weft-mud', 'web', 'index.html'), 'utf8');
    for (const tag of page.match(/<script\b[^>]*>/g)) assert.match(tag, /\ssrc="[^"]+"/, 'inline script: ' + tag);
    assert.ok(!/<script\b[^>]*>[^<]+<\/script>/.test(page), 'inline script body in index.html');
    assert.ok(!/\son[a-z]+=/i.test(page), 'inline event handler in index.html');
    assert.equal((await get(port, '/term.js')).type, 'text/javascript');
    assert.equal((await get(port, '/term.css')).type, 'text/css');
    assert.equal((await get(port, '/OFL.txt')).type, 'text/plain; charset=utf-8');
    assert.equal((await get(port, '/../secret.txt')).status, 404);
    assert.equal((await get(port, '/%2e%2e/secret.txt')).status, 404);
    assert.equal((await get(port, '/nothing.js')).status, 404);

    // A page from another origin is refused.
    const evil = new Page(port, { origin: 'http://evil.example' });
    await assert.rejects(evil.opened, /403/);

    // New session: the GMCP subprotocol is preferred, Core.Session first, then the login.
    const a = new Page(port);
    await a.opened;
    assert.equal(a.ws.protocol, 'gmcp.mudstandards.org');
    a.gmcpSend('Core.Hello', { client: 'weft-term', version: '1' });
    a.gmcpSend('Core.Window', { cols: 60, rows: 20 });
    const session = await a.gmcpWait('Core.Session');
    assert.ok(session.token && session.token.length >= 16);
    await a.expect(/known\? $/);
    a.line('Webby');
    await a.expect(/Create a new character\? \(yes\/no\) $/);
    a.line('yes');
    await a.expect(/Choose a password/);
    assert.ok(a.gmcp.includes('Core.Echo {"on":false}'), 'password entry hides input: ' + a.gmcp);
    a.line('secret123');
    await a.expect(/again/);
    a.line('secret123');
    await a.expect(/Welcome/);
    await a.expect(/> $/);
    assert.ok(a.gmcp.includes('Core.Echo {"on":true}'));
    assert.ok(!a.text.includes('secret123'), 'no server echo of the password');
    const room = await a.gmcpWait('Room.Info');
    assert.equal(room.name, 'The Mercat Cross');
    // wrapped to the 60 columns the page announced
    for (const l of a.text.split('Welcome')[1].replace(/\x1b\[[0-9;]*m/g, '').split('\r\n')) assert.ok(l.length <= 60, l);
    a.line('say hello from the web');
    await a.expect(/You say, "hello from the web"/);
    assert.ok(!/\r\nsay hello/.test(a.text), 'the server does not echo');

    // A telnet-free second player (another page) sees and talks.
    const b = new Page(port);
    await b.opened;
    b.gmcpSend('Core.Hello', { client: 'weft-term', version: '1' });
    await b.expect(/known\? $/);
    b.line('Other');
    await b.expect(/\(yes\/no\) $/); b.line('yes');
    await b.expect(/password/); b.line('secret123');
    await b.expect(/again/); b.line('secret123');
    await b.expect(/> $/);
    await a.expect(/Other has entered the game/);

    // Drop A's socket; B talks meanwhile; A resumes with its token and gets what it missed.
    const token = session.token;
    const received = a.received;
    a.ws.terminate();
    await a.closed;
    await new Promise((r) => setTimeout(r, 200));
    b.line('say while you were away');
    await b.expect(/You say, "while you were away"/);
    await new Promise((r) => setTimeout(r, 200));
    const a2 = new Page(port);
    await a2.opened;
    a2.gmcpSend('Core.Resume', { token, received });
    a2.gmcpSend('Core.Hello', { client: 'weft-term', version: '1' });
    await a2.expect(/Other says, "while you were away"/);
    assert.ok(!/known\?/.test(a2.text), 'resumed without a new login: ' + a2.text);
    assert.ok(!a2.gmcp.some((g) => g.startsWith('Core.Session')), 'a resume keeps the session');
    assert.equal((await a2.gmcpWait('Core.Resumed')).from, received, 'the replay starts where the page stopped');
    a2.line('say back again');
    await b.expect(/Webby says, "back again"/);
    await a2.expect(/You say, "back again"/);

    // A reloaded page has lost its screen: it resumes with received 0 and gets all the ring
    // kept (here everything since the session began), and the page it replaces is closed.
    const a3 = new Page(port);
    await a3.opened;
    a3.gmcpSend('Core.Resume', { token, received: 0 });
    assert.equal((await a3.gmcpWait('Core.Resumed')).from, 0);
    await a3.expect(/Welcome[^]*while you were away[^]*You say, "back again"/);
    assert.ok(!a3.gmcp.some((g) => g.startsWith('Core.Session')), 'a reload keeps the session');
    await a2.closed;
    a3.line('say reloaded');
    await b.expect(/Webby says, "reloaded"/);

    // A bad token gets a fresh login.
    const c = new Page(port);
    await c.opened;
    c.gmcpSend('Core.Resume', { token: 'nope', received: 0 });
    await c.gmcpWait('Core.Session');
    await c.expect(/known\? $/);
    c.ws.close();

    // Keepalive (--ws-ping 1): a quiet page is pinged and, answering, stays; a page that
    // never answers is closed within a few seconds, and its session stays resumable.
    const quiet = new Page(port);
    let pings = 0;
    quiet.ws.on('ping', () => { pings++; });
    await quiet.opened;
    await quiet.gmcpWait('Core.Session');
    await new Promise((r) => setTimeout(r, 3500));
    assert.ok(pings >= 2, 'a quiet page is pinged: ' + pings);
    assert.equal(quiet.ws.readyState, WebSocket.OPEN, 'a page that answers pings stays');
    quiet.ws.close();
    const deaf = new Page(port, { autoPong: false });
    await deaf.opened;
    const deafToken = (await deaf.gmcpWait('Core.Session')).token;
    await deaf.expect(/known\? $/);
    const t0 = Date.now();
    const dropped = await Promise.race([deaf.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 10000))]);
    assert.ok(dropped, 'a page that does not answer pings is dropped');
    assert.ok(Date.now() - t0 < 8000, 'dropped within 2 pings and the close timeout');
    const undeaf = new Page(port);
    await undeaf.opened;
    undeaf.gmcpSend('Core.Resume', { token: deafToken, received: deaf.received });
    await undeaf.gmcpWait('Core.Resumed');
    assert.ok(!undeaf.gmcp.some((g) => g.startsWith('Core.Session')), 'the dropped session is resumed, not replaced');
    undeaf.ws.close();

    // Shutdown: Core.Goodbye and the farewell line, then the socket closes.
    child.kill('SIGTERM');
    await a3.gmcpWait('Core.Goodbye');
    await a3.expect(/shutting down/);
    await a3.closed;
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    console.log('test_web: ok');
  } catch (e) {
    child.kill('SIGKILL');
    console.error(e);
    process.exit(1);
  }
})();
