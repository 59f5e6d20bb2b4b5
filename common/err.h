/* err.h - return codes of every common/ call and the error detail beside them.
 * A call returns SYNC_OK (0) or a negative SYNC_E*; the message goes into the
 * caller's struct sync_err and the caller decides what to print. */
#ifndef SYNC_ERR_H
#define SYNC_ERR_H

enum sync_rc {
    SYNC_OK = 0,
    SYNC_EINVAL = -1,      /* VALIDATION_ERROR 400 */
    SYNC_ENOTFOUND = -2,   /* NOT_FOUND 404 */
    SYNC_ECONFLICT = -3,   /* CONFLICT 409 */
    SYNC_ETOOBIG = -4,     /* PAYLOAD_TOO_LARGE 413 (or VALIDATION_ERROR for content) */
    SYNC_EDB = -5,         /* INTERNAL_ERROR 500: the database refused */
    SYNC_ENOMEM = -6,      /* INTERNAL_ERROR 500 */
    SYNC_EPRECOND = -7,    /* PRECONDITION_FAILED 412; detail = current hash or "" */
    SYNC_EFORBIDDEN = -8,  /* FORBIDDEN 403 */
    SYNC_EUNAUTH = -9,     /* UNAUTHORIZED 401: missing or unknown key */
    SYNC_EREVOKED = -10,   /* UNAUTHORIZED 401 / KEY_REVOKED on sockets */
    SYNC_EUNAVAIL = -11,   /* UNAVAILABLE 503: the database is unreachable */
};

struct sync_err {
    int rc;
    char msg[200];
    char detail[96];       /* machine-readable extra, e.g. the current hash of a 412 */
};

/* vsnprintf into e->msg (e may be NULL); clears e->detail; returns rc. */
int sync_err_set(struct sync_err *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "VALIDATION_ERROR", "NOT_FOUND", ... for a SYNC_E* code. Static string. */
const char *sync_rc_code(int rc);

/* The HTTP status a REST answer uses for a SYNC_E* code. */
int sync_rc_http_status(int rc);

#endif
