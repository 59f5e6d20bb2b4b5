#!/bin/sh
# Installs the pinned client-side test dependencies (socket.io-client 4.8.1)
# from tests/node/package-lock.json; a no-op when they are already there.
set -eu
cd "$(dirname "$0")/../node"
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
