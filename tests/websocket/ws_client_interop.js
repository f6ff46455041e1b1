// npm's `ws` as the client against examples/ws_echo: text, binary, fragmented and 1 MiB
// messages, ping/pong, subprotocol, and both closing handshakes with their code and reason.
// Usage: node ws_client_interop.js <path to ws_echo>
'use strict';
const { need, fail, check, startServer, deadline } = require('./interop_common');
const WebSocket = need('ws');

deadline(30000);

function open(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws', ['nope', 'echo']);
    ws.binaryType = 'nodebuffer';
    const queue = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift()(m);
      else queue.push(m);
    });
    ws.next = () => new Promise((res) => (queue.length ? res(queue.shift()) : waiters.push(res)));
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

async function main() {
  const { proc, port } = await startServer(process.argv[2]);
  try {
    const ws = await open(port);
    check(ws.protocol === 'echo', 'subprotocol echo chosen', ws.protocol);

    ws.send('grüße ✓');
    let m = await ws.next();
    check(!m.isBinary && m.data.toString() === 'grüße ✓', 'text round trip', m.data.toString());

    const bin = Buffer.from([0, 1, 2, 0x80, 0xff]);
    ws.send(bin);
    m = await ws.next();
    check(m.isBinary && m.data.equals(bin), 'binary round trip');

    ws.send('frag', { fin: false });
    ws.send('ment', { fin: false });
    ws.send('ed', { fin: true });
    m = await ws.next();
    check(m.data.toString() === 'fragmented', 'fragmented message joined', m.data.toString());

    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    ws.send(big);
    m = await ws.next();
    check(m.isBinary && m.data.equals(big), '1 MiB binary round trip', m.data.length);
    const bigText = 'é'.repeat(1 << 19);
    ws.send(bigText);
    m = await ws.next();
    check(m.data.toString() === bigText, '1 MiB text round trip', m.data.length);

    const pong = new Promise((res) => ws.once('pong', (d) => res(d.toString())));
    ws.ping('tick');
    check((await pong) === 'tick', 'ping answered with its payload');

    ws.close(4001, 'bye');
    const c = await ws.closed;
    check(c.code === 4001 && c.reason === '', 'client close echoed with its code', c);

    const ws2 = await open(port);
    ws2.send('!close 4000 as asked');
    const c2 = await ws2.closed;
    check(c2.code === 4000 && c2.reason === 'as asked', 'server close code and reason', c2);
  } finally {
    proc.removeAllListeners('exit');
    proc.kill();
  }
}

main().then(() => process.exit(0), (e) => fail(e.stack || String(e)));
