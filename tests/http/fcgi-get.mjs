// fcgi-get.mjs SOCKET URI - one FastCGI GET straight to sync-api (no web
// server); prints "STATUS BODY". SOCKET is a unix socket path or HOST:PORT.
import { fcgiRequest } from './lib.mjs';

const [socket, uri] = process.argv.slice(2);
const q = uri.indexOf('?');
try {
  const r = await fcgiRequest(socket, {
    REQUEST_METHOD: 'GET', REQUEST_URI: uri, QUERY_STRING: q >= 0 ? uri.slice(q + 1) : '',
    SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1',
  }, { timeout: 5000 });
  console.log(`${r.status} ${r.text}`);
} catch (e) {
  console.log(`error ${e.message}`);
  process.exitCode = 1;
}
