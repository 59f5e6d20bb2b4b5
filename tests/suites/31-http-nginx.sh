#!/usr/bin/env bash
# 31-http-nginx.sh - the REST contract through nginx: sync-api listens on its
# own unix socket (--listen unix:PATH, mode 0666 for nginx's www-data workers)
# and nginx fastcgi_passes to it. See tests/http/suite.sh.
set -u
. "$(dirname "$0")/../http/suite.sh"
http_suite nginx
