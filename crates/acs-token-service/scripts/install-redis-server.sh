#!/usr/bin/env bash
# Installs redis-server from the Debian packages when it is missing. The token service's Redis tests
# (tests/redis.rs) start their own redis-server on a loopback port; they run this script themselves when it
# is missing, and fail, naming it, if it could not install it.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  redis-server --version
  exit 0
fi
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq redis-server
redis-server --version
