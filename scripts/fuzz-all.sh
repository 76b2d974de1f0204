#!/usr/bin/env bash
# Runs every fuzz target in the repository, one after another, for a given
# time each, and prints a table of what each did.
#
#   scripts/fuzz-all.sh [TIME] [REGEXP]
#
# TIME is a go test -fuzztime value (default 10s; 1000x means 1000 runs).
# REGEXP, when given, keeps only the targets whose "package FuzzName"
# matches it (grep -E), e.g. 'feeds/' or 'FuzzParseFrame'.
#
# The targets are found by looking for "func FuzzX(" in the _test.go files,
# so a new target is picked up without editing this script. Each target
# starts from its seeds (f.Add, from committed testdata) and from any
# corpus committed in its package's testdata/fuzz/FuzzX; what it learns
# goes to Go's fuzz cache ($(go env GOCACHE)/fuzz), not into the tree.
# Go minimizes every new interesting input, for up to 60 s by default,
# and its progress line counts no execs meanwhile: on a target with large
# seeds (config.example.toml, the themes) a 10 s run spent nearly all its
# time minimizing. This script minimizes for at most FUZZMINIMIZETIME
# (default 1s); set FUZZMINIMIZETIME=60s for the smallest failing inputs
# on a long run.
#
# When a target finds a failure, go test writes the input to
# testdata/fuzz/FuzzX/ in that package (commit it with the fix, so it stays
# a regression test), prints it, and this script goes on with the others
# and exits 1 at the end.
set -euo pipefail
fuzztime=${1:-10s}
filter=${2:-}
minimize=${FUZZMINIMIZETIME:-1s}
cd "$(dirname "$0")/.."

targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(' . |
  sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($|\1 \2|; s|^\./[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($|. \1|' |
  sort -u)
if [ -n "$filter" ]; then
  targets=$(grep -E -- "$filter" <<<"$targets" || true)
fi
if [ -z "$targets" ]; then
  echo "fuzz-all: no fuzz targets${filter:+ match $filter}" >&2
  exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
summary=()
while read -r pkg name; do
  echo "== $pkg $name ($fuzztime)"
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "./$pkg" >"$log" 2>&1; then
    status=ok
  else
    status=FAIL
    failed=1
    cat "$log"
  fi
  # Progress lines, about every 3 s: "fuzz: elapsed: 9s, execs: 123456
  # (12345/sec), new interesting: 7 (total: 80)"; the rate is over the
  # interval since the previous line, and the last line repeats the total
  # with 0/sec. execs/s is the mean of the intervals' rates.
  last=$(grep -E '^fuzz: elapsed: .*execs:' "$log" | tail -n 1 || true)
  execs=$(sed -nE 's/.*execs: ([0-9]+) .*/\1/p' <<<"$last")
  rate=$(grep -E '^fuzz: elapsed: .*execs:' "$log" | sed -nE 's/.*\(([0-9]+)\/sec\).*/\1/p' |
    awk '$1 > 0 { s += $1; n++ } END { if (n) printf "%.0f", s / n }' || true)
  interesting=$(sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 of \2/p' <<<"$last")
  summary+=("$(printf '%-4s %-28s %-22s %12s %10s   %s' "$status" "$pkg" "$name" "${execs:--}" "${rate:--}" "${interesting:--}")")
done <<<"$targets"

echo
printf '%-4s %-28s %-22s %12s %10s   %s\n' "" package target execs execs/s "new interesting (of corpus)"
printf '%s\n' "${summary[@]}"
exit "$failed"
