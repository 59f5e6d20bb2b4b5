// sec-unpriv.mjs - sync-api and sync-gateway do their whole job as an
// unprivileged user with no_new_privs (what DynamicUser=yes and
// NoNewPrivileges=yes give them under systemd). Driven by
// tests/suites/82-security-deploy.sh, which starts them that way.
// sync-api is spoken to over FastCGI directly (no web server).
// Environment: FCGI_ADDR (HOST:PORT of sync-api --listen), GW_URL (may be
// empty), KEY (read,write key of a store).
import { fcgiRequest } from '../http/lib.mjs';
import { connect, emitAck, ok, run, sha256, until } from './fault-lib.mjs';

const { FCGI_ADDR, GW_URL, KEY } = process.env;

function fcgi(method, uri, body) {
  const qi = uri.indexOf('?');
  const env = {
    REQUEST_METHOD: method, REQUEST_URI: uri, QUERY_STRING: qi >= 0 ? uri.slice(qi + 1) : '',
    SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1', HTTP_X_API_KEY: KEY,
  };
  let stdin;
  if (body !== undefined) {
    stdin = Buffer.from(JSON.stringify(body));
    env.CONTENT_TYPE = 'application/json';
    env.CONTENT_LENGTH = String(stdin.length);
  }
  return fcgiRequest(FCGI_ADDR, env, { stdin, timeout: 10000 });
}

run(async () => {
  const h = await fcgi('GET', '/health');
  ok(h.status === 200 && /"database":"connected"/.test(h.text), `sync-api answers /health with the database connected (${h.status})`, h.text);
  const rd = GW_URL ? await connect(KEY) : null;
  const content = `written by an unprivileged sync-api ${Math.random()}`;
  const p = await fcgi('PUT', '/api/v1/files', { path: 'unpriv/rest.md', content });
  ok(p.status === 201, 'sync-api writes a file (PUT 201)', `${p.status} ${p.text}`);
  const g = await fcgi('GET', '/api/v1/files?path=unpriv%2Frest.md');
  ok(g.status === 200 && JSON.parse(g.text).content === content, 'and reads it back');
  if (GW_URL) {
    ok(await until(() => rd.log.some((e) => e.data.path === 'unpriv/rest.md' && e.data.hash === sha256(content)), 5000),
      'sync-gateway, unprivileged too, pushes that write to a socket');
    const w = await connect(KEY);
    const a = await emitAck(w, 'modified-file', { path: 'unpriv/socket.md', content: 'socket write' });
    ok(a.ok, 'and applies a socket write (acked)', a.code);
    const g2 = await fcgi('GET', '/api/v1/files?path=unpriv%2Fsocket.md');
    ok(g2.status === 200 && JSON.parse(g2.text).content === 'socket write', 'which sync-api reads back');
    w.close();
    rd.close();
  }
});
