#!/usr/bin/env bash
# Runs Tollgate locally, end to end: the mock upstream, the standalone Tollgate host with the dev key
# from src/Tollgate.Server/appsettings.Development.json, then a plain and a streaming curl through it.
# It keeps running until Ctrl-C.
#   --smoke   exit after the curls, failing if either did not work (CI runs this)
# Ports: TOLLGATE_PORT (default 8080), MOCK_PORT (default 8081); --smoke picks free ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

smoke=false
[ "${1:-}" = "--smoke" ] && smoke=true

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
if $smoke; then
  port=$(free_port); mock_port=$(free_port)
else
  port=${TOLLGATE_PORT:-8080}; mock_port=${MOCK_PORT:-8081}
fi
key="tg-dev-local-0000000000000000"
logs="$root/tests/.local-run"
mkdir -p "$logs"

echo "== Building (Release)"
dotnet build src/Tollgate.Server/Tollgate.Server.csproj -c Release -nologo -v quiet
dotnet build tests/Tollgate.MockUpstream/Tollgate.MockUpstream.csproj -c Release -nologo -v quiet

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "== Starting the mock upstream on 127.0.0.1:$mock_port"
(cd tests/Tollgate.MockUpstream/bin/Release/net10.0 && exec dotnet Tollgate.MockUpstream.dll \
  --urls "http://127.0.0.1:$mock_port" --Mock:DelayMs 30) >"$logs/mock.log" 2>&1 &
pids+=($!)

echo "== Starting Tollgate on 127.0.0.1:$port (logs: tests/.local-run/tollgate.log)"
(cd src/Tollgate.Server/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Development exec dotnet Tollgate.Server.dll \
  --urls "http://127.0.0.1:$port" \
  --Tollgate:Upstreams:mock:BaseUrl "http://127.0.0.1:$mock_port" \
  --Tollgate:Upstreams:mock-envelope:BaseUrl "http://127.0.0.1:$mock_port") >"$logs/tollgate.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && curl -sf "http://127.0.0.1:$mock_port/healthz" >/dev/null; then break; fi
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "Tollgate did not start:"; cat "$logs/tollgate.log"; exit 1; }

echo
echo "== Dev key: $key"
echo "== curl http://127.0.0.1:$port/v1/chat/completions (non-streaming)"
plain=$(curl -sS "http://127.0.0.1:$port/v1/chat/completions" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}')
echo "$plain"
echo
echo "== curl -N ... \"stream\":true"
streamed=$(curl -sS -N "http://127.0.0.1:$port/v1/chat/completions" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello!"}]}')
echo "$streamed"

if $smoke; then
  grep -q '"object":"chat.completion"' <<<"$plain" || { echo "Smoke: non-streaming call failed"; cat "$logs/tollgate.log"; exit 1; }
  grep -q 'data: \[DONE\]' <<<"$streamed" || { echo "Smoke: streaming call failed"; cat "$logs/tollgate.log"; exit 1; }
  echo "Local run smoke test: OK"
  exit 0
fi

echo
echo "Tollgate is running at http://127.0.0.1:$port (OpenAI base URL http://127.0.0.1:$port/v1). Ctrl-C stops everything."
wait
