#!/usr/bin/env bash
# Installs what test_vscode.py needs: Debian's chromium, ripgrep and libkrb5-dev, code-server 4.100.3
# (the newest that runs on Node 20) and playwright-core under tests/editors/code-server/node_modules,
# and the extension's .vsix with its bundled server (the wheels come from PyPI through pip), so the
# bundled-server suite of the client's tests runs too. Nothing else is downloaded outside the npm
# registry and Debian:
# @vscode/ripgrep's postinstall finds its archive (Debian's rg) in its cache, and argon2 builds from source.
# Run `apt-get update` first on a fresh machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium ripgrep libkrb5-dev >/dev/null

cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$archive" ]; then
  staging="$(mktemp -d)"
  cp "$(command -v rg)" "$staging/rg"
  mkdir -p "$cache"
  tar -C "$staging" -czf "$archive" rg
  rm -rf "$staging"
fi

# As root code-server's postinstall needs unsafe-perm; npm 11 runs no dependency install scripts
# unless allowed, and code-server's postinstall runs a nested npm install of its own.
(cd "$here/code-server" &&
  npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm ci --no-audit --no-fund --loglevel=error)

(cd "$here/../../client-vscode" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent bundle && npm run --silent package)
