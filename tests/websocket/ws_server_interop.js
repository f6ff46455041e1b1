// npm's `ws` as the server against our client (ws_interop_client): the client runs its
// steps and exits 0; this side checks masking (ws refuses unmasked client frames), the
// client's close code and reason, and that the client pongs a ping.
// Usage: node ws_server_interop.js <path to ws_interop_client>
'use strict';
const { spawn } = require('child_process');
const { need, fail, check, deadline } = require('./interop_common');
const WebSocket = need('ws');

deadline(30000);

const closes = [];
let pongs = 0;
const wss = new WebSocket.WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
});
wss.on('connection', (ws, req) => {
  ws.on('error', (e) => fail('server side error: ' + e.message));
  ws.on('pong', (d) => { if (d.toString() === 'are you there') pongs++; });
  ws.on('message', (data, isBinary) => {
    const s = isBinary ? null : data.toString();
    if (s === 'send-fragments') {
      ws.send('fragmented', { fin: false });
      ws.send(' by', { fin: false });
      ws.send(' ws', { fin: true });
    } else if (s === 'ping-me') {
      ws.ping('are you there');
      ws.send('pinged');
    } else if (s === 'close-me') {
      ws.close(4005, 'server bye');
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
  ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString(), origin: req.headers.origin }));
});
wss.on('listening', () => {
  const port = wss.address().port;
  const client = spawn(process.argv[2], ['ws://127.0.0.1:' + port + '/chat'], { stdio: 'inherit' });
  client.on('error', (e) => fail('cannot run the client: ' + e.message));
  client.on('exit', (code) => {
    check(code === 0, 'our client finished its steps', code);
    setTimeout(() => {
      check(pongs === 1, 'our client ponged the server ping', pongs);
      check(closes.length === 2, 'two connections closed', closes);
      check(closes[0].code === 4005, 'first closed by the server with 4005', closes[0]);
      check(closes[1].code === 4002 && closes[1].reason === 'client bye', 'client close code and reason', closes[1]);
      check(closes[1].origin === 'http://127.0.0.1', 'origin sent');
      process.exit(0);
    }, 200);
  });
});
