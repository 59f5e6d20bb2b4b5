/* packet.h - the layer's view of struct sio_packet: one serialised Engine.IO
 * text packet plus its binary attachments, refcounted and shared by every
 * queue it sits in. The parts are never written to in place (lws_write
 * writes its frame header before the pointer), so senders copy each
 * fragment into their own LWS_PRE scratch. */
#ifndef SIO_PACKET_H
#define SIO_PACKET_H

#include <stddef.h>

#include "sio.h"

struct sio_packet {
    unsigned refs;
    unsigned n_bin;                 /* 0..SIO_ATTACH_MAX */
    size_t wire;                    /* bytes it adds to a send queue */
    char *text;                     /* Engine.IO text packet, e.g. "42[\"x\"]", "2", "3probe" */
    size_t text_len;
    unsigned char *bin[SIO_ATTACH_MAX];
    size_t bin_len[SIO_ATTACH_MAX];
    char *b64[SIO_ATTACH_MAX];      /* "b" + base64 of bin[i], made on first polling use */
    size_t b64_len[SIO_ATTACH_MAX];
};

/* An Engine.IO-level text packet ("2", "6", "3probe", the open packet). */
int sio_pkt_new_text(struct sio_packet **out, const char *text, size_t len);

struct buf;
struct json_object;
/* The JSON of EVENT [event, ...args] appended to b ('/' not escaped). */
int sio_pkt_event_json(const char *event, struct json_object *args, struct buf *b);

/* Part i (0 = the text, 1..n_bin = attachments) as a WebSocket message. */
void sio_pkt_part_ws(const struct sio_packet *p, unsigned i, const unsigned char **data,
                 size_t *len, int *binary);
/* Part i as a polling record (attachments as "b<base64>", built once).
 * SYNC_OK or SYNC_ENOMEM. Loop thread. */
int sio_pkt_part_poll(struct sio_packet *p, unsigned i, const char **data, size_t *len);

#endif
