#!/usr/bin/env bash
# Where a stream's cost goes, Tollgate against the bare pass-through proxy (not part of CI; about 3 minutes).
# Starts the mock upstream, the pass-through and Tollgate (metering to memory) on loopback, warms them, then for
# each proxy drives 21-event streams with wrk at 16 connections while
#   strace -c -f counts its system calls (printed per request, by call), and
#   perf record samples its CPU (with the runtime's perf map, so managed frames have names), when perf works here.
# Figures under strace are slow by design: compare counts per request, not speed. The counts, and the share of CPU
# each library took, go to tests/.bench/profile/summary.txt, which the load harness puts in docs/performance.md.
#   --seconds N   length of each measured run (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

seconds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
for tool in wrk strace; do
  if ! command -v "$tool" >/dev/null; then
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "$tool" >/dev/null
  fi
done

echo "== Building (Release)"
for project in src/Tollgate.Server tests/Tollgate.MockUpstream tests/Tollgate.Benchmarks; do
  dotnet build "$project" -c Release -nologo -v quiet
done

out=tests/.bench/profile
rm -rf "$out" && mkdir -p "$out"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
mock_port=$(free_port); pass_port=$(free_port); gate_port=$(free_port)
key="tg-bench-0000000000000000-loadtestkeyloadtestkeyloadtestkey"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# The runtime writes /tmp/perf-<pid>.map so that perf can name JIT-compiled frames (which it can only with W^X off).
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 ASPNETCORE_ENVIRONMENT=Production
(cd tests/Tollgate.MockUpstream/bin/Release/net10.0 && exec dotnet Tollgate.MockUpstream.dll --urls "http://127.0.0.1:$mock_port" --Mock:Record false) >"$out/mock.log" 2>&1 &
pids+=($!)
(cd tests/Tollgate.Benchmarks/bin/Release/net10.0 && exec dotnet Tollgate.Benchmarks.dll passthrough --urls "http://127.0.0.1:$pass_port" --upstream "http://127.0.0.1:$mock_port") >"$out/passthrough.log" 2>&1 &
pass_pid=$!; pids+=($pass_pid)
(cd src/Tollgate.Server/bin/Release/net10.0 && exec dotnet Tollgate.Server.dll --urls "http://127.0.0.1:$gate_port" \
  --Tollgate:Upstreams:mock:BaseUrl "http://127.0.0.1:$mock_port" --Tollgate:Upstreams:mock:Secret sk-bench-upstream \
  --Tollgate:Upstreams:mock:Models:bench-stream "mock@chunks=18" --Tollgate:Keys:0:Id bench --Tollgate:Keys:0:Key "$key" \
  --Tollgate:Billing:Prices:0:Model bench-stream --Tollgate:Billing:Prices:0:InputPerMillion 0.15 --Tollgate:Billing:Prices:0:OutputPerMillion 0.60) >"$out/tollgate.log" 2>&1 &
gate_pid=$!; pids+=($gate_pid)

for port in "$mock_port" "$pass_port" "$gate_port"; do
  for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
done

script() {
  cat >"$out/$1.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"model":"$2","stream":true,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something useful about gateways."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF
}
script passthrough "mock@chunks=18"
script tollgate "bench-stream"

echo "== Warming up (tiered compilation), 20 s each"
wrk -t1 -c16 -d20s -s "$out/passthrough.lua" "http://127.0.0.1:$pass_port/v1/chat/completions" >/dev/null
wrk -t1 -c16 -d20s -s "$out/tollgate.lua" "http://127.0.0.1:$gate_port/v1/chat/completions" >/dev/null

requests() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }

for name in passthrough tollgate; do
  if [ "$name" = passthrough ]; then pid=$pass_pid; port=$pass_port; else pid=$gate_pid; port=$gate_port; fi
  url="http://127.0.0.1:$port/v1/chat/completions"

  echo "== $name: system calls per 21-event stream (strace -c -f, $seconds s at 16 connections)"
  strace -c -f -q -o "$out/$name.strace" -p "$pid" &
  strace_pid=$!
  sleep 1
  wrk -t2 -c16 -d"${seconds}s" -s "$out/$name.lua" "$url" >"$out/$name.strace-wrk.txt"
  kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
  n=$(requests "$out/$name.strace-wrk.txt")
  echo "  $n requests"
  { echo "$name: system calls per 21-event stream ($n streams under strace)"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { calls = $4; total += calls; if (calls / n >= 0.5) printf "    %-16s %6.1f per request\n", $NF, calls / n }
      END { printf "    %-16s %6.1f per request\n", "(all)", total / n }' "$out/$name.strace" | sort -k2 -nr
  } | tee -a "$out/summary.txt"

  if perf record -q -F 499 -g -o "$out/$name.perf" -p "$pid" -- sleep "$seconds" >/dev/null 2>&1 &
  then
    perf_pid=$!
    wrk -t2 -c16 -d"${seconds}s" -s "$out/$name.lua" "$url" >"$out/$name.perf-wrk.txt"
    if wait "$perf_pid" && [ -s "$out/$name.perf" ]; then
      echo "== $name: where the CPU goes (perf, self time, top 25)"
      perf report -q -i "$out/$name.perf" --no-children --sort dso,symbol --percent-limit 0.8 2>/dev/null \
        | grep -v '^$' | grep -v '^#' | grep -v '^ *|' | grep -v -- '---' | head -25 | tee "$out/$name.perf.txt" || true
      { echo "$name: share of CPU samples by library or assembly (perf, self time, 1 % and more)"
        perf report -q -i "$out/$name.perf" --no-children --sort dso,symbol -g none 2>/dev/null | python3 -c '
import collections, re, sys
share = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S+(?: tid \d+)?)\s+\[.\]\s+(.*)", line)
    if m:
        assembly = re.search(r"\[([A-Za-z][A-Za-z0-9_.]*)\] [A-Za-z0-9_.]", m.group(3)) if m.group(2).startswith("[JIT]") else None
        share[assembly.group(1) if assembly else m.group(2)] += float(m.group(1))
for name, pct in share.most_common():
    if pct >= 1:
        print(f"    {pct:5.1f} %  {name}")
' || true
      } >>"$out/summary.txt"
    else
      echo "== $name: perf record did not work on this machine; see $out"
    fi
  fi
done
echo "== Raw output in $out"
