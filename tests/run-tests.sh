#!/usr/bin/env bash
# Builds the Azure Functions app and runs every test: unit tests, and end-to-end tests against real Kestrel on
# loopback with the mock upstream, Azurite as the Table service and the official OpenAI .NET and Node SDKs.
# Installs what it needs (every tests/*/package-lock.json with npm ci: Azurite, the OpenAI Node SDK, puppeteer-core;
# Debian's chromium with apt-get when run as root; NuGet packages; Chart.js for the console through Tollgate.Core's build).
# Usage: bash tests/run-tests.sh [extra dotnet test arguments, e.g. --filter Name~Stream]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for lockfile in tests/*/package-lock.json; do
  echo "== Installing $(dirname "$lockfile") (npm ci, $lockfile)"
  npm ci --prefix "$(dirname "$lockfile")" --no-audit --no-fund --loglevel=error
done

# The admin console's browser test drives Debian's chromium (puppeteer-core downloads no browser).
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "== Installing chromium (apt-get) for the console's browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run as root once (this script installs it), apt-get install chromium, or set CHROMIUM" >&2
  fi
fi

echo "== Building the Azure Functions app (src/Tollgate.Functions; a failed build fails the tests)"
dotnet build src/Tollgate.Functions/Tollgate.Functions.csproj -c Release -nologo -v quiet

echo "== Building the benchmarks (they do not run here; this keeps them compiling)"
dotnet build tests/Tollgate.Benchmarks/Tollgate.Benchmarks.csproj -c Release -nologo -v quiet

results="$(pwd)/tests/TestResults"
rm -rf "$results"
status=0
dotnet test tests/Tollgate.Tests/Tollgate.Tests.csproj -c Release \
  --logger "trx;LogFileName=tollgate.trx" --results-directory "$results" "$@" || status=$?

trx="$results/tollgate.trx"
if [ -f "$trx" ]; then
  counters=$(grep -oE '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(sed -nE 's/.* passed="([0-9]+)".*/\1/p' <<<"$counters")
  failed=$(sed -nE 's/.* failed="([0-9]+)".*/\1/p' <<<"$counters")
  notrun=$(sed -nE 's/.* notExecuted="([0-9]+)".*/\1/p' <<<"$counters")
  echo "${passed:-0} passed, ${failed:-0} failed, ${notrun:-0} skipped"
fi
exit $status
