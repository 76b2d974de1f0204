#!/usr/bin/env bash
# Measures what `tokentop --demo` costs while it runs in a real terminal:
# CPU (share of one core) and bytes written to the terminal per second, for
# the cells renderer and Bubble Tea's lines renderer side by side.
#
#   scripts/measure-terminal.sh [WxH] [SECONDS] [VIEW] [extra tokentop flags...]
#       one configuration: both renderers at once, one line each
#   scripts/measure-terminal.sh --table [SECONDS]
#       every configuration of docs/PERFORMANCE.md (80x24, 120x40, 200x60;
#       dark and mono; default speed and --demo-speed 60; table and detail
#       pane), as a Markdown table
#
# VIEW is "table" (default) or "detail" (enter opens the first token's
# detail pane: full screen below 140 columns, beside the table above).
#
# It builds the binary once, runs `tokentop --demo` twice at the same time,
# each in its own detached tmux terminal of WxH (default 200x60) through
# script(1), which records every byte the program writes: one with
# [ui] renderer = "cells", one with "lines", on the same seed. It lets them
# warm up for 3 s, then samples each process's CPU time (/proc/PID/stat) and
# recorded bytes over SECONDS (default 30). Running both at once puts them
# under the same load on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cleanup() {
  # script(1) outlives its tmux server and keeps tokentop's terminal open:
  # end the processes this script started ($tmp/pids) themselves.
  [ -f "$tmp/pids" ] && while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  for r in cells lines; do tmux -L "measure-$r-$$" kill-server 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/tokentop" .
tick=$(getconf CLK_TCK)

# measure SIZE SECONDS VIEW FLAGS...: prints "renderer cpu% bytes/s" for each renderer.
measure() {
  local size=$1 secs=$2 view=$3; shift 3
  local w=${size%x*} h=${size#*x} r pid
  declare -A pids c0 b0
  for r in cells lines; do
    mkdir -p "$tmp/$r/config/tokentop" "$tmp/$r/data"
    printf '[ui]\nrenderer = "%s"\n' "$r" > "$tmp/$r/config/tokentop/config.toml"
    rm -f "$tmp/$r/typescript"
    XDG_CONFIG_HOME="$tmp/$r/config" XDG_DATA_HOME="$tmp/$r/data" tmux -L "measure-$r-$$" -f /dev/null \
      new-session -d -x "$w" -y "$h" \
      "script -q -f -c '$tmp/tokentop --config $tmp/$r/config/tokentop/config.toml --demo $*' $tmp/$r/typescript; sleep 600"
  done
  for r in cells lines; do
    pid=""
    for _ in $(seq 100); do
      pid=$(pgrep -n -f "^$tmp/tokentop --config $tmp/$r/" || true)
      [ -n "$pid" ] && break
      sleep 0.1
    done
    [ -n "$pid" ] || { echo "tokentop ($r) did not start; the terminal shows:"; tmux -L "measure-$r-$$" capture-pane -p; exit 1; }
    pids[$r]=$pid
    { echo "$pid"; ps -o ppid= -p "$pid" | tr -d ' '; } >> "$tmp/pids"
  done
  sleep 1
  if [ "$view" = detail ]; then
    for r in cells lines; do tmux -L "measure-$r-$$" send-keys Enter; done
  fi
  sleep 2
  local t0 t1
  t0=$(date +%s.%N)
  for r in cells lines; do
    c0[$r]=$(awk '{print $14 + $15}' "/proc/${pids[$r]}/stat")
    b0[$r]=$(stat -c %s "$tmp/$r/typescript")
  done
  sleep "$secs"
  t1=$(date +%s.%N)
  for r in cells lines; do
    local c1 b1
    c1=$(awk '{print $14 + $15}' "/proc/${pids[$r]}/stat")
    b1=$(stat -c %s "$tmp/$r/typescript")
    awk -v r="$r" -v c0="${c0[$r]}" -v c1="$c1" -v b0="${b0[$r]}" -v b1="$b1" -v t0="$t0" -v t1="$t1" -v tick="$tick" \
      'BEGIN { el = t1 - t0; printf "%s %.2f %.0f\n", r, 100 * (c1 - c0) / tick / el, (b1 - b0) / el }'
    kill "${pids[$r]}" 2>/dev/null || true
    for _ in $(seq 100); do [ -e "/proc/${pids[$r]}" ] || break; sleep 0.1; done
    tmux -L "measure-$r-$$" kill-server 2>/dev/null || true
  done
}

if [ "${1:-}" = --table ]; then
  secs=${2:-30}
  echo "| size | theme | speed | view | cells bytes/s | lines bytes/s | cells/lines | cells CPU | lines CPU |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for size in 80x24 120x40 200x60; do
    for theme in dark mono; do
      for speed in 1 60; do
        for view in table detail; do
          out=$(measure "$size" "$secs" "$view" --theme "$theme" --demo-speed "$speed")
          echo "$out" | awk -v size="$size" -v theme="$theme" -v speed="${speed}x" -v view="$view" '
            { cpu[$1] = $2; bps[$1] = $3 }
            END { ratio = 0; if (bps["lines"] > 0) ratio = bps["cells"] / bps["lines"]
                  printf "| %s | %s | %s | %s | %d | %d | %.3f | %.2f%% | %.2f%% |\n",
                    size, theme, speed, view, bps["cells"], bps["lines"], ratio, cpu["cells"], cpu["lines"] }'
        done
      done
    done
  done
  exit 0
fi

size=${1:-200x60}; secs=${2:-30}; view=${3:-table}; shift $(( $# > 3 ? 3 : $# )) || true
measure "$size" "$secs" "$view" "$@" | while read -r r cpu bps; do
  printf 'tokentop --demo %s (%s, %s) at %s over %s s: CPU %s%% of one core, %s bytes/s to the terminal\n' "$*" "$r" "$view" "$size" "$secs" "$cpu" "$bps"
done
