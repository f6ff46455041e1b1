// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) opens the page
// examples/ws_echo serves; the page's script does a WebSocket round trip (a text and a
// binary message, subprotocol "echo", close 1000) and writes "pass" or "fail: ..." into
// document.title. Fails (never skips) when Chromium or playwright-core is missing.
// Usage: node ws_chromium.js <path to ws_echo>
'use strict';
const fs = require('fs');
const { need, fail, check, startServer, deadline } = require('./interop_common');

const chromium_path = '/usr/bin/chromium';
deadline(60000);

async function main() {
  if (!fs.existsSync(chromium_path)) fail(chromium_path + ' is missing (make deps installs chromium)');
  const { chromium } = need('playwright-core');
  const { proc, port } = await startServer(process.argv[2]);
  let browser;
  try {
    browser = await chromium.launch({ executablePath: chromium_path, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    await page.goto('http://127.0.0.1:' + port + '/');
    await page.waitForFunction(() => document.title !== 'ws_echo', null, { timeout: 20000 });
    const title = await page.title();
    check(title === 'pass', 'Chromium round trip through ws_echo', { title, logs });
  } finally {
    if (browser) await browser.close();
    proc.removeAllListeners('exit');
    proc.kill();
  }
}

main().then(() => process.exit(0), (e) => fail(e.stack || String(e)));
