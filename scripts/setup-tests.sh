#!/usr/bin/env bash
# Installs everything the test suite needs, on a fresh Debian machine or a dev box:
#   - Debian packages: chromium (browser tests), a Java runtime (Nu HTML validator),
#     node/npm (axe-core and vnu-jar come from the npm registry);
#   - a virtualenv in .venv with the project (editable) and its test extras;
#   - the npm test tools pinned in package-lock.json, into node_modules/.
# Safe to run again: each step is skipped or fast when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup-tests: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

if [ -f package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi
echo "setup-tests: ready"
