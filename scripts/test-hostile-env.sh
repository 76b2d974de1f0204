#!/usr/bin/env bash
# Runs the tests in environments unlike the developer's, to show they depend
# on nothing but the repository: an empty environment (env -i) plus a fake
# home whose config file and data store are hostile, other time zones,
# locales and umasks, colour and API-key variables that must not leak in,
# and GOFLAGS=-trimpath.
#
#   scripts/test-hostile-env.sh [VARIANT...] [-- go test args]
#
# VARIANT is one of:
#   config   a valid but unusual config (light theme, 3 tokens, sort by
#            price), TZ=Pacific/Kiritimati (UTC+14), LANG=C, NO_COLOR=1,
#            COLORTERM=truecolor, TERM=dumb, umask 077
#   broken   a config that is not TOML, TZ=America/St_Johns (UTC-3:30),
#            CLICOLOR_FORCE=1, TERM=xterm-256color, umask 077
#   network  a config asking for Token Metrics, CoinGecko and desktop
#            notifications, TZ=Asia/Kathmandu (UTC+5:45), no TERM, a TMPDIR
#            with a space in it, umask 000
# (default: all three). The go test arguments default to
# "-race -count=1 ./...". Each variant also has a garbage store file in the
# fake data directories and the API key variables set. After each run the
# script lists what was written under the fake home and XDG directories
# (expect only the go command's own telemetry under XDG_CONFIG_HOME/go).
set -uo pipefail
cd "$(dirname "$0")/.."

variants=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do variants+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#variants[@]} -eq 0 ] && variants=(config broken network)
[ $# -eq 0 ] && set -- -race -count=1 ./...

# The toolchain's own settings come from the real environment; nothing else.
toolchain=(PATH="$PATH" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)"
  GOPATH="$(go env GOPATH)" GOTOOLCHAIN=local GOPROXY="$(go env GOPROXY)")

status=0
for v in "${variants[@]}"; do
  h=$(mktemp -d)
  mkdir -p "$h/home/.config/tokentop" "$h/home/.local/share/tokentop" "$h/config/tokentop" \
    "$h/data/tokentop" "$h/tmp dir"
  case $v in
  config)
    cfg=$'theme = "light"\n[ui]\nrefresh_hz = 1\nsort = "price"\nsort_desc = true\ndetail_side = 60\nflash = "0s"\nmouse = false\n[demo]\nseed = 7\nspeed = 60.0\ntokens = 3\n[market]\nwhale_usd = 1.0'
    extra=(TZ=Pacific/Kiritimati LANG=C LC_ALL=C NO_COLOR=1 COLORTERM=truecolor TERM=dumb)
    mask=077 ;;
  broken)
    cfg='this is [not toml'
    extra=(TZ=America/St_Johns LANG=C.UTF-8 CLICOLOR_FORCE=1 COLORTERM=truecolor TERM=xterm-256color)
    mask=077 ;;
  network)
    cfg=$'[ratings]\nprovider = "tokenmetrics"\n[alerts]\ndesktop = true\n[feed]\nmetadata = true'
    extra=(TZ=Asia/Kathmandu TMPDIR="$h/tmp dir")
    mask=000 ;;
  *)
    echo "test-hostile-env: unknown variant $v (config, broken, network)" >&2
    exit 2 ;;
  esac
  for d in "$h/home/.config/tokentop" "$h/config/tokentop"; do printf '%s\n' "$cfg" >"$d/config.toml"; done
  for d in "$h/home/.local/share/tokentop" "$h/data/tokentop"; do head -c 8192 /dev/urandom >"$d/tokentop.db"; done
  touch "$h/before"
  echo "== $v: go test $*"
  (
    umask "$mask"
    env -i "${toolchain[@]}" HOME="$h/home" XDG_CONFIG_HOME="$h/config" XDG_DATA_HOME="$h/data" \
      XDG_CACHE_HOME="$h/home/.cache" XDG_STATE_HOME="$h/home/.state" XDG_RUNTIME_DIR="$h/run" \
      COINGECKO_API_KEY=leaked-from-the-shell TOKENMETRICS_API_KEY=leaked-from-the-shell \
      GOFLAGS="-mod=readonly -trimpath" CI=1 COLUMNS=37 LINES=9 "${extra[@]}" \
      go test "$@"
  ) || status=1
  echo "== $v: written under the fake home and XDG directories:"
  find "$h/home" "$h/config" "$h/data" -newer "$h/before" -not -path "$h/config" -not -path "$h/config/go*" | sed "s|^$h/||"
  rm -rf "$h"
done
exit "$status"
