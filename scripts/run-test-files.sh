#!/usr/bin/env bash
# Runs test files one at a time, each in its own `node --test` under a time limit, and prints how
# long each took. Used by scripts/test.sh and scripts/node-versions.sh for the integration tests.
#
# Why not one `node --test` over all files: a file whose process does not exit after its tests
# (a client left connected keeps Node's event loop alive) makes the runner wait for it, silently,
# until CI's limit ends the whole run with no word of which file hung. Here each file gets
# --test-force-exit (the process ends once its tests have) and LIMIT seconds; past that, timeout
# signals the file's whole process group (node, the strait processes and clusters it spawned),
# the file counts as failed, and the next one runs. Every file runs even after a failure, so one
# run reports all of them.
#
# usage: scripts/run-test-files.sh LIMIT_SECONDS FILE...
#   `node` is whichever is first on PATH (scripts/node-versions.sh puts another release there).
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: scripts/run-test-files.sh LIMIT_SECONDS FILE..." >&2; exit 2; }
limit=$1
shift
[[ $limit =~ ^[0-9]+$ ]] || { echo "run-test-files: LIMIT_SECONDS is \"$limit\", not a number of seconds" >&2; exit 2; }

results=()
failed=0
total_start=$(date +%s)
for file in "$@"; do
  name=$(basename "$file" .test.js)
  echo "== $name ($file)" >&2
  start=$(date +%s)
  # --kill-after: a file that ignores SIGTERM is killed 30 s later.
  timeout --kill-after=30 "$limit" node --test --test-force-exit --test-reporter=spec "$file"
  rc=$?
  took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    status=passed
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    status="TIMED OUT after ${limit} s"
    failed=$((failed + 1))
  else
    status="FAILED (exit $rc)"
    failed=$((failed + 1))
  fi
  echo "== $name: $status in $took s" >&2
  results+=("$(printf '%6d s  %s  %s' "$took" "$name" "$status")")
done

echo "== test files: $# run, $failed failed, $(( $(date +%s) - total_start )) s in all" >&2
for line in "${results[@]}"; do echo "$line" >&2; done
[ $failed -eq 0 ]
