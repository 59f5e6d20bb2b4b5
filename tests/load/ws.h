/* ws.h - the client side of RFC 6455, just what sio-load needs: the upgrade
 * request and its check, masked frames out, unmasked frames in. Pure
 * functions over buffers; the I/O is the caller's. */
#ifndef LOAD_WS_H
#define LOAD_WS_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

enum ws_op { WS_CONT = 0, WS_TEXT = 1, WS_BINARY = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

#define WS_KEY_LEN 24                   /* base64 of 16 random bytes */

/* Appends the GET upgrade request for path_query ("/socket.io/?EIO=4&…")
 * and writes the Sec-WebSocket-Key it used into key (NUL-terminated). */
int ws_request(struct bytes *out, const char *hostport, const char *path_query,
               char key[WS_KEY_LEN + 1]);

/* Checks the server's answer at buf: 1 a valid 101 whose accept matches key
 * (*consumed = header bytes), 0 incomplete, -1 refused or malformed (*status
 * gets the HTTP status when one was read). */
int ws_response(const char *buf, size_t len, const char *key, size_t *consumed, int *status);

/* One frame as received. */
struct ws_frame {
    int fin;
    int opcode;
    const char *payload;        /* view into the input */
    size_t len;
    size_t size;                /* header + payload: bytes to consume */
};

/* Parses one server frame: 1 complete, 0 incomplete, -1 a protocol error
 * (masked, reserved bits, bad control frame, longer than max). */
int ws_parse(const char *buf, size_t len, size_t max, struct ws_frame *f);

/* Appends one masked frame with the given opcode and FIN set. */
int ws_frame(struct bytes *out, int opcode, const void *payload, size_t len);

/* Appends a masked text frame whose payload is head followed by body (saves
 * building the message twice). */
int ws_frame2(struct bytes *out, int opcode, const void *head, size_t hlen, const void *body,
              size_t blen);

#endif
