#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, lints, type-checks,
# starts the two sandbox Kafka clusters, runs unit and integration tests, then the unit tests and
# a subset of the integration tests on the other supported Node.js releases
# (scripts/node-versions.sh), stops the clusters.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

echo "== type check and build" >&2
rm -rf dist
npx --no-install tsc -p tsconfig.json --noEmit
npx --no-install tsc -p tsconfig.json

echo "== lint" >&2
npx --no-install eslint . --max-warnings=0

echo "== unit tests" >&2
node --test --test-reporter=spec $(find dist/test/unit -name '*.test.js' | sort)

echo "== sandbox clusters" >&2
# The same sandbox as `strait sandbox up` and the demo. If it is already running (a demo left it
# up), the tests use it and leave it running; otherwise they start it and stop it at the end.
if node bin/strait.cjs sandbox status 2>/dev/null | grep -q running; then
  echo "sandbox already running: using it and leaving it up" >&2
else
  stop_sandbox() { node bin/strait.cjs sandbox down >&2 || true; }
  trap stop_sandbox EXIT
fi
node bin/strait.cjs sandbox up
export STRAIT_TEST_SOURCE_BOOTSTRAP=127.0.0.1:${STRAIT_SANDBOX_SOURCE_PORT:-19092}
export STRAIT_TEST_TARGET_BOOTSTRAP=127.0.0.1:${STRAIT_SANDBOX_TARGET_PORT:-19094}

echo "== integration tests (real Kafka clusters)" >&2
# One file at a time (the tests share two single-node clusters and 2 cores), each with a time
# limit: the slowest file takes about 4 minutes on a busy machine.
# shellcheck disable=SC2046 # one argument per test file
UV_THREADPOOL_SIZE=16 bash scripts/run-test-files.sh "${STRAIT_TEST_FILE_LIMIT:-900}" $(find dist/test/integration -name '*.test.js' | sort)

echo "== other Node.js releases (scripts/node-versions.sh)" >&2
# Node 22 and 24 from the npm registry, each with the binding built for it, against the same
# clusters; STRAIT_TEST_NODE_VERSIONS= (empty) skips them.
bash scripts/node-versions.sh test
