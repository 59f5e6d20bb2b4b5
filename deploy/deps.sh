#!/bin/sh
# Installs every Debian package the project needs that is missing.
# A fast no-op when all are present; as non-root, names what is missing and stops.
set -eu

PKGS="gcc make pkg-config clang libclang-rt-14-dev
libfcgi-dev libpq-dev libjson-c-dev libwebsockets-dev libssl-dev libcunit1-dev
postgresql-15 postgresql-contrib lighttpd spawn-fcgi nginx-light apache2
curl procps iproute2 ca-certificates"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
# Node.js (any version >= 18 with npm) is needed by the client-side tests only.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' own services from starting (nginx and apache2 would both
# want port 80 and fail their install); the project starts its own instances.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
# The package lists may be empty on a new machine: refresh them once first.
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
