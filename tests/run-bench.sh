#!/usr/bin/env bash
# Benchmarks (not part of CI; about 20 minutes): BenchmarkDotNet micro-benchmarks of the hot-path pieces,
# then the load harness: Azurite + mock upstream + a bare pass-through proxy + Tollgate (Release, metering on)
# on loopback, driven by wrk; each load runs in rounds, straight at the mock, through the pass-through and
# through Tollgate, and the report gives medians with the rounds' range. Writes docs/performance.md and
# docs/performance.svg. Before the load, tests/profile-stream.sh counts a stream's system calls and profiles its
# CPU, pass-through against Tollgate (about 3 minutes), for the report. Installs wrk and strace (Debian packages)
# and Azurite (npm) when missing.
#   --quick      shorter runs, one round, fewer connections and streams, no profile (a smoke check of the harness)
#   --no-micro   skip the micro-benchmarks (keeps the last results in tests/.bench/micro)
#   --no-profile skip the stream profile (keeps the last one in tests/.bench/profile)
#   --rounds N   rounds per scenario (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

micro=true
profile=true
load_args=()
for arg in "$@"; do
  case "$arg" in
    --no-micro) micro=false ;;
    --no-profile) profile=false ;;
    --quick) load_args+=(--quick --seconds 3); profile=false ;;
    *) load_args+=("$arg") ;;
  esac
done

if ! command -v wrk >/dev/null; then
  echo "== Installing wrk (apt)"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
echo "== Installing Azurite (npm ci)"
npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error

echo "== Building (Release)"
for project in src/Tollgate.Server tests/Tollgate.MockUpstream tests/Tollgate.Benchmarks; do
  dotnet build "$project" -c Release -nologo -v quiet
done
ulimit -n 65536 2>/dev/null || true
bench=tests/Tollgate.Benchmarks/bin/Release/net10.0/Tollgate.Benchmarks.dll

if $micro; then
  echo "== Micro-benchmarks (BenchmarkDotNet)"
  rm -rf tests/.bench/micro
  dotnet "$bench" micro --filter '*' --artifacts tests/.bench/micro
fi

if $profile; then
  echo "== Stream profile (tests/profile-stream.sh)"
  bash tests/profile-stream.sh
fi

echo "== Load harness"
dotnet "$bench" load --repo . "${load_args[@]}"
