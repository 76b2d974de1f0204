#!/usr/bin/env bash
# Measures tokentop against a fake Binance at its busiest
# (internal/firehose): by default 400 symbols, each with 20 aggTrade, 1
# miniTicker and 2 kline frames a second (9,200 frames/s), plus the REST
# backfill of their history (docs/PERFORMANCE.md, "The live firehose").
#
#   scripts/measure-firehose.sh [-n 400] [-s 200x60] [-w 30] [-d 60] [-p cpu.prof] [-f "firehose flags"] [-- extra tokentop flags...]
#
#   -n  symbols, default 400          -s  terminal size, default 200x60
#   -w  seconds to let the backfill settle before measuring, default 30
#   -d  seconds measured, default 60
#   -p  write tokentop's CPU profile of the measured seconds (from the end of
#       the settling to the exit) to this file
#   -f  more flags for the fake exchange (e.g. "-trades 40 -history none")
#
# tokentop runs with a config the fake exchange writes ([feed] binance only,
# ws:// and http:// on 127.0.0.1, no metadata), fresh data directories, in a
# detached tmux terminal through script(1). Over the measured seconds it
# reports tokentop's CPU (utime+stime from /proc, % of one core), frames
# drawn per second (the cells renderer, ui/screen, wraps each frame it
# writes in synchronized output, ESC[?2026h; the lines renderer starts
# each with ESC[H), bytes written to the terminal per second, and the peak
# resident set (VmHWM).
set -euo pipefail
n=400; size=200x60; warm=30; secs=60; prof=""; fhflags=""
while getopts "n:s:w:d:p:f:" o; do
  case $o in
    n) n=$OPTARG ;;
    s) size=$OPTARG ;;
    w) warm=$OPTARG ;;
    d) secs=$OPTARG ;;
    p) prof=$(realpath -m "$OPTARG") ;;
    f) fhflags=$OPTARG ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
extra=("$@")
w=${size%x*}; h=${size#*x}
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "measure-firehose: needs tmux" >&2; exit 2; }
command -v script >/dev/null || { echo "measure-firehose: needs script(1) (util-linux)" >&2; exit 2; }
tmp=$(mktemp -d)
sock=measure-firehose-$$
pid=""; fh=""
cleanup() {
  { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; } || true
  { [ -n "$fh" ] && kill "$fh" 2>/dev/null; } || true
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/tokentop" .
go build -o "$tmp/firehose" ./internal/firehose
# shellcheck disable=SC2086 # fhflags is a list of flags
"$tmp/firehose" -symbols "$n" -config "$tmp/fh.toml" -for $((warm + secs + 120))s $fhflags 2>"$tmp/firehose.log" &
fh=$!
for _ in $(seq 100); do [ -s "$tmp/fh.toml" ] && break; sleep 0.1; done
[ -s "$tmp/fh.toml" ] || { echo "the fake exchange did not start:"; cat "$tmp/firehose.log"; exit 1; }
rec="$tmp/typescript"
mkdir -p "$tmp/config" "$tmp/data"
env=""
[ -n "$prof" ] && env="TOKENTOP_CPUPROFILE=$prof TOKENTOP_CPUPROFILE_AFTER=$warm"
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" tmux -L "$sock" -f /dev/null new-session -d -x "$w" -y "$h" \
  "script -q -f -c 'env $env $tmp/tokentop --config $tmp/fh.toml ${extra[*]}' $rec; sleep 600"
for _ in $(seq 500); do pid=$(pgrep -n -f "^$tmp/tokentop" || true); [ -n "$pid" ] && break; sleep 0.01; done
[ -n "$pid" ] || { echo "tokentop did not start; the terminal shows:"; tmux -L "$sock" capture-pane -p; exit 1; }
sleep "$warm"
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu); b0=$(stat -c %s "$rec"); t0=$(date +%s.%N)
sleep "$secs"
c1=$(cpu); b1=$(stat -c %s "$rec"); t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
head -c "$b1" "$rec" | tail -c +$((b0 + 1)) >"$tmp/measured"
frames=$(grep -o $'\e\\[?2026h' "$tmp/measured" | wc -l || true)
[ "$frames" -gt 0 ] || frames=$(grep -o $'\e\\[H' "$tmp/measured" | wc -l || true)
echo "the terminal at the end:"
tmux -L "$sock" capture-pane -p | tail -2
if [ -n "$prof" ]; then
  # tokentop writes its profile when it exits: quit as a user does.
  tmux -L "$sock" send-keys q
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
echo "fake exchange: $(grep frames/s "$tmp/firehose.log" | tail -3 | tr '\n' ';')"
awk -v n="$n" -v size="$size" -v c0="$c0" -v c1="$c1" -v tick="$tick" -v t0="$t0" -v t1="$t1" -v f="$frames" \
    -v b0="$b0" -v b1="$b1" -v hwm="$hwm" -v flags="${extra[*]:-none}" 'BEGIN {
  el = t1 - t0
  printf "%s symbols at %s over %.0f s (extra flags: %s): CPU %.2f%% of one core, %.1f frames/s, %.0f bytes/s, peak RSS %.1f MB\n",
    n, size, el, flags, 100 * (c1 - c0) / tick / el, f / el, (b1 - b0) / el, hwm / 1024
}'
echo "($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
