#!/usr/bin/env bash
# 30-http-lighttpd.sh - the REST contract through lighttpd: mod_fastcgi spawns
# sync-api (bin-path, two processes) on a loopback port in front of the
# throwaway database. See tests/http/suite.sh.
set -u
. "$(dirname "$0")/../http/suite.sh"
http_suite lighttpd
