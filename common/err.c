/* err.c - error codes, their names on the wire and their HTTP statuses. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int sync_err_set(struct sync_err *e, int rc, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return rc;
    e->rc = rc;
    e->detail[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return rc;
}

const char *sync_rc_code(int rc)
{
    switch (rc) {
    case SYNC_OK:         return "OK";
    case SYNC_EINVAL:     return "VALIDATION_ERROR";
    case SYNC_ENOTFOUND:  return "NOT_FOUND";
    case SYNC_ECONFLICT:  return "CONFLICT";
    case SYNC_ETOOBIG:    return "PAYLOAD_TOO_LARGE";
    case SYNC_EPRECOND:   return "PRECONDITION_FAILED";
    case SYNC_EFORBIDDEN: return "FORBIDDEN";
    case SYNC_EUNAUTH:    return "UNAUTHORIZED";
    case SYNC_EREVOKED:   return "UNAUTHORIZED";
    case SYNC_EUNAVAIL:   return "UNAVAILABLE";
    case SYNC_EDB:
    case SYNC_ENOMEM:
    default:              return "INTERNAL_ERROR";
    }
}

int sync_rc_http_status(int rc)
{
    switch (rc) {
    case SYNC_OK:         return 200;
    case SYNC_EINVAL:     return 400;
    case SYNC_ENOTFOUND:  return 404;
    case SYNC_ECONFLICT:  return 409;
    case SYNC_ETOOBIG:    return 413;
    case SYNC_EPRECOND:   return 412;
    case SYNC_EFORBIDDEN: return 403;
    case SYNC_EUNAUTH:
    case SYNC_EREVOKED:   return 401;
    case SYNC_EUNAVAIL:   return 503;
    default:              return 500;
    }
}
