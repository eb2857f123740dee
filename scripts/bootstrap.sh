#!/usr/bin/env bash
# Installs everything strait needs to run, on a fresh Debian machine, with no step by hand:
#   1. Debian build libraries (apt-get, as root or through sudo);
#   2. npm dependencies from package-lock.json, with install scripts held back;
#   3. the worker-thread patch to the librdkafka binding (patch-package, patches/);
#   4. one build of the binding from source against the system libraries (CKJS_LINKING=dynamic);
#   5. a check that the binding loads in several worker threads at once.
# A repeated run is a quick no-op: step 2-5 are skipped while the stamp (lockfile, patches, this
# script, Node's ABI) is unchanged and the built binding is present.
# The Dockerfile runs this same script, so the two cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/debian-packages.sh
. scripts/debian-packages.sh

say() { printf 'strait install: %s\n' "$*" >&2; }
die() { printf 'strait install: error: %s\n' "$*" >&2; exit 1; }

# --- Node ----------------------------------------------------------------------------------
command -v node >/dev/null || die "node not found: install Node.js 20.19+ (or 22.13+, 24+)"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  const ok = (maj === 20 && min >= 19) || (maj === 22 && min >= 13) || maj >= 24;
  if (!ok) { console.error("strait install: error: Node.js " + process.versions.node + " is too old: strait needs 20.19+, 22.13+ or 24+"); process.exit(1); }
'

# --- Debian packages ---------------------------------------------------------------------
missing=()
for p in $STRAIT_BUILD_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing build libraries (${missing[*]}) and no apt-get: install the equivalents of these Debian packages by hand"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "missing Debian packages: ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
    SUDO="sudo"
  fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm dependencies and the patched binding ------------------------------------------------
binding=node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node
stamp_file=node_modules/.strait-install-stamp
stamp=$( { cat package-lock.json scripts/bootstrap.sh patches/*.patch; node -p 'process.versions.modules + process.arch'; } | sha256sum | cut -d' ' -f1)
if [ -f "$binding" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  say "dependencies up to date"
else
  start=$(date +%s)
  say "installing npm dependencies (scripts held back until the binding is patched)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  say "patching the librdkafka binding for worker threads (patches/)"
  npx --no-install patch-package --error-on-fail >/dev/null
  # Build from source against Debian's libraries: the prebuilt download and the bundled
  # dependency downloads are not reachable from every machine, and the patch needs a rebuild.
  say "building librdkafka and the binding from source (about a minute on 2 cores)"
  # node-gyp downloads Node's headers unless told where they are; nodejs.org is not reachable
  # from every machine. Headers installed with this very Node (Debian's nodejs-dev/libnode-dev
  # under /usr/include/node) serve, when npm has no nodedir of its own.
  headers_version=$(sed -n 's/^#define NODE_\(MAJOR\|MINOR\|PATCH\)_VERSION \([0-9]*\)$/\2/p' /usr/include/node/node_version.h 2>/dev/null | paste -sd.)
  if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir)" = "undefined" ] && [ "v$headers_version" = "$(node -v)" ]; then
    export npm_config_nodedir=/usr
  fi
  CKJS_LINKING=dynamic npm_config_build_from_source=true npm rebuild --no-audit --no-fund --loglevel=error >node_modules/.strait-build.log 2>&1 \
    || { tail -n 40 node_modules/.strait-build.log >&2; die "building the binding failed; full log in node_modules/.strait-build.log"; }
  [ -f "$binding" ] || die "the binding was not built ($binding missing); see node_modules/.strait-build.log"
  echo "$stamp" > "$stamp_file"
  say "dependencies installed in $(( $(date +%s) - start )) s"
fi

# --- the binding loads in several threads --------------------------------------------------
node scripts/check-binding.cjs || die "the patched binding does not load in worker threads; rebuild with: rm -rf node_modules && npm run bootstrap"
