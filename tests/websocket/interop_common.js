// Shared by the Node.js interop scripts: the repository's node_modules, a server process
// started on an ephemeral port, and small assertion helpers that fail the test (never skip).
'use strict';
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const need = (name) => require(path.join(root, 'node_modules', name));

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

function check(cond, what, detail) {
  if (!cond) fail(what + (detail === undefined ? '' : ': ' + JSON.stringify(detail)));
  console.log('ok - ' + what);
}

// Starts `bin --port 0` and resolves with { proc, port } once it prints "listening on".
function startServer(bin) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(bin + ' exited with ' + code + ': ' + err)));
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
  });
}

// Fails the whole script if it has not finished in `ms`.
function deadline(ms) {
  const t = setTimeout(() => fail('timed out after ' + ms + ' ms'), ms);
  t.unref();
}

module.exports = { root, need, fail, check, startServer, deadline };
