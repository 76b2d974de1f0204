#!/usr/bin/env bash
# Measures the running dashboard on the simulated market at several sizes
# of the market and prints a table (docs/PERFORMANCE.md, "The demo at 500
# tokens"):
#
#   scripts/measure-demo.sh [-t "46 200 500"] [-s 200x60] [-d 60] [-- extra tokentop flags...]
#
#   -t  token counts to run (--demo-tokens), default "46 200 500"
#   -s  terminal size, default 200x60
#   -d  seconds each run lasts, default 60
#   everything after -- is passed to tokentop (e.g. --theme mono,
#   --demo-speed 60, or a renderer's flag once there is one)
#
# For each count it builds the binary once, then runs
# `tokentop --demo --demo-tokens N` in a detached tmux terminal through
# script(1) (which records every byte written to the terminal), with fresh
# config and data directories, and reports:
#   first frame  ms from the start of the recording until the screen shows
#                a full table: the feed live and every visible row with a
#                price, changes and grades. script(1) records when each
#                write reached the terminal (--log-timing); after the run,
#                internal/firstframe replays the recording into a terminal
#                emulator and finds the first write after which the screen
#                is full. Nothing reads the screen while tokentop starts
#                (polling tmux did, and on two cores it took 100-150 ms of
#                the CPU the start needed). script starts a few ms before
#                tokentop, so this over-reports by that much.
#   RSS          VmHWM (peak resident set) at the end of the run
#   CPU          utime+stime over the whole run, as % of one core
#   bytes/s      bytes written to the terminal per second over the run
set -euo pipefail
counts="46 200 500"; size=200x60; secs=60
while getopts "t:s:d:" o; do
  case $o in
    t) counts=$OPTARG ;;
    s) size=$OPTARG ;;
    d) secs=$OPTARG ;;
    *) sed -n '2,24p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
extra=("$@")
w=${size%x*}; h=${size#*x}
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "measure-demo: needs tmux" >&2; exit 2; }
command -v script >/dev/null || { echo "measure-demo: needs script(1) (util-linux)" >&2; exit 2; }
tmp=$(mktemp -d)
sock=measure-demo-$$
pid=""
trap '{ [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; } || true; tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/tokentop" .
go build -o "$tmp/firstframe" ./internal/firstframe
tick=$(getconf CLK_TCK)
printf '%-7s %-9s %14s %9s %10s %12s\n' tokens size "first frame" "RSS MB" "CPU %" "bytes/s"

# full reports whether the screen (stdin) shows a full table.
full() {
  awk '
    /live/ && /DEMO/ { live = 1 }
    # a table row: the rank, a symbol, then a price, changes and two grades
    $0 ~ /^[ ▸✦◌]*[0-9]+ +[A-Z0-9]+ / {
      rows++
      if ($0 !~ /%/ || $0 ~ /  —  /) bad++
    }
    END { exit !(live && rows > 0 && bad == 0) }'
}

for n in $counts; do
  rec="$tmp/typescript-$n"
  timing="$tmp/timing-$n"
  mkdir -p "$tmp/config-$n" "$tmp/data-$n"
  args=(--demo --demo-tokens "$n" "${extra[@]}")
  tmux -L "$sock" kill-server 2>/dev/null || true
  # The terminal waits for $tmp/go, so tmux has settled when tokentop
  # starts; nothing runs beside it until a second later (its pid, for CPU
  # and memory, is looked up then).
  rm -f "$tmp/go"
  XDG_CONFIG_HOME="$tmp/config-$n" XDG_DATA_HOME="$tmp/data-$n" tmux -L "$sock" -f /dev/null new-session -d -x "$w" -y "$h" \
    "while [ ! -e $tmp/go ]; do sleep 0.01; done; script -q -f --log-timing $timing -c '$tmp/tokentop ${args[*]}' $rec; sleep 600"
  sleep 0.5
  touch "$tmp/go"
  sleep 1
  pid=""
  for _ in $(seq 500); do pid=$(pgrep -n -f "^$tmp/tokentop" || true); [ -n "$pid" ] && break; sleep 0.005; done
  [ -n "$pid" ] || { echo "tokentop did not start; the terminal shows:"; tmux -L "$sock" capture-pane -p; exit 1; }
  start=$(awk '{print $22}' "/proc/$pid/stat") # clock ticks after boot
  up=$(awk '{print $1}' /proc/uptime)
  left=$(awk -v s="$start" -v t="$tick" -v u="$up" -v d="$secs" 'BEGIN { r = d - (u - s / t); print (r > 0 ? r : 0) }')
  sleep "$left"
  cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  bytes=$(stat -c %s "$rec")
  if out=$("$tmp/firstframe" -size "$size" -timing "$timing" -typescript "$rec" 2>&1); then
    first="$out ms"
  else
    first="never"
    echo "measure-demo: $out" >&2
  fi
  el=$(awk -v s="$start" -v t="$tick" -v u="$(awk '{print $1}' /proc/uptime)" 'BEGIN { print u - s / t }')
  awk -v n="$n" -v size="$size" -v first="$first" -v hwm="$hwm" -v cpu="$cpu" -v tick="$tick" -v el="$el" -v b="$bytes" 'BEGIN {
    printf "%-7s %-9s %14s %9.1f %10.2f %12.0f\n", n, size, first, hwm / 1024, 100 * cpu / tick / el, b / el
  }'
  # script(1) keeps its own session: end tokentop itself, then the
  # terminal. (SIGTERM can hang it: Bubble Tea's own signal handler blocks
  # sending its quit message once the context has ended the program; so
  # SIGKILL after 2 s.)
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  tmux -L "$sock" kill-server 2>/dev/null || true
done
echo "(${secs} s each; extra flags: ${extra[*]:-none}; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
