#!/usr/bin/env bash
# Measures what `tokentop --demo` costs while it runs in a real terminal:
# CPU (share of one core) and bytes written to the terminal per second.
#
#   scripts/measure-terminal.sh [WxH] [SECONDS] [extra tokentop flags...]
#
# It builds the binary, runs it in a detached tmux terminal of WxH (default
# 200x60) through script(1), which records every byte the program writes, lets
# it warm up for 3 s, then samples the process's CPU time (/proc/PID/stat) and
# the recorded bytes over SECONDS (default 30).
set -euo pipefail
size=${1:-200x60}; secs=${2:-30}; shift $(( $# > 2 ? 2 : $# )) || true
w=${size%x*}; h=${size#*x}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'tmux -L measure kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/tokentop" .
rec="$tmp/typescript"
mkdir -p "$tmp/config"
XDG_CONFIG_HOME="$tmp/config" tmux -L measure -f /dev/null new-session -d -x "$w" -y "$h" \
  "script -q -f -c '$tmp/tokentop --demo $*' $rec; echo EXIT \$?; sleep 600"
for _ in $(seq 100); do pid=$(pgrep -f "^$tmp/tokentop" || true); [ -n "$pid" ] && break; sleep 0.1; done
[ -n "$pid" ] || { echo "tokentop did not start; the terminal shows:"; tmux -L measure capture-pane -p; exit 1; }
sleep 3
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu); b0=$(stat -c %s "$rec"); t0=$(date +%s.%N)
sleep "$secs"
c1=$(cpu); b1=$(stat -c %s "$rec"); t1=$(date +%s.%N)
awk -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" -v tick="$tick" -v size="$size" -v flags="$*" 'BEGIN {
  el = t1 - t0
  printf "tokentop --demo %s at %s over %.1f s: CPU %.2f%% of one core, %.0f bytes/s to the terminal\n", flags, size, el, 100 * (c1 - c0) / tick / el, (b1 - b0) / el
}'
