#!/usr/bin/env bash
# Runs Tollgate locally, end to end: Azurite (Table Storage for keys and usage), the mock upstream, the
# standalone Tollgate host with the dev key and dev admin key from
# src/Tollgate.Server/appsettings.Development.json, then a plain and a streaming curl through it, the
# usage records they left (with their cost) and the key's own usage this month (/v1/usage). It keeps running until Ctrl-C
# or SIGTERM, then stops Tollgate (waiting for its last flush), the mock and Azurite, in that order.
#   --smoke   exit after the curls, failing if any did not work (CI runs this)
# Ports: TOLLGATE_PORT (default 8080), MOCK_PORT (8081), AZURITE_PORT (10002); --smoke picks free ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

smoke=false
[ "${1:-}" = "--smoke" ] && smoke=true

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
if $smoke; then
  port=$(free_port); mock_port=$(free_port); azurite_port=$(free_port)
else
  port=${TOLLGATE_PORT:-8080}; mock_port=${MOCK_PORT:-8081}; azurite_port=${AZURITE_PORT:-10002}
fi
key="tg-dev-local-0000000000000000"
admin_key="tg-admin-dev-local-00000000000000"
dev_account_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$dev_account_key;TableEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1"
logs="$root/tests/.local-run"
mkdir -p "$logs"

echo "== Installing Azurite (npm ci, tests/azurite/package-lock.json)"
npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error

echo "== Building (Release)"
dotnet build src/Tollgate.Server/Tollgate.Server.csproj -c Release -nologo -v quiet
dotnet build tests/Tollgate.MockUpstream/Tollgate.MockUpstream.csproj -c Release -nologo -v quiet

# Children are stopped on Ctrl-C, SIGTERM or exit, one at a time and in this order: Tollgate first, waited for
# (it flushes budgets and the usage ledger to Azurite as it stops), then the mock, then Azurite.
azurite_pid="" mock_pid="" tollgate_pid=""
stop() { # stop PID: SIGTERM (background jobs ignore SIGINT), then wait up to 30 s for it to exit, then SIGKILL
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  stop "$tollgate_pid"; stop "$mock_pid"; stop "$azurite_pid"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

azurite_data="$logs/azurite"
$smoke && rm -rf "$azurite_data"
mkdir -p "$azurite_data"
echo "== Starting Azurite (Table service) on 127.0.0.1:$azurite_port (data: tests/.local-run/azurite)"
node tests/azurite/node_modules/azurite/dist/src/table/main.js --tableHost 127.0.0.1 --tablePort "$azurite_port" \
  --location "$azurite_data" --disableTelemetry --skipApiVersionCheck --silent >"$logs/azurite.log" 2>&1 &
azurite_pid=$!
# Tollgate reads stored prices and owner budgets as it starts: let Azurite accept connections first (up to 15 s).
for _ in $(seq 1 150); do
  (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null && break
  sleep 0.1
done

echo "== Starting the mock upstream on 127.0.0.1:$mock_port"
(cd tests/Tollgate.MockUpstream/bin/Release/net10.0 && exec dotnet Tollgate.MockUpstream.dll \
  --urls "http://127.0.0.1:$mock_port" --Mock:DelayMs 30) >"$logs/mock.log" 2>&1 &
mock_pid=$!

echo "== Starting Tollgate on 127.0.0.1:$port (logs: tests/.local-run/tollgate.log)"
(cd src/Tollgate.Server/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Development exec dotnet Tollgate.Server.dll \
  --urls "http://127.0.0.1:$port" \
  --Tollgate:Upstreams:mock:BaseUrl "http://127.0.0.1:$mock_port" \
  --Tollgate:Upstreams:mock-envelope:BaseUrl "http://127.0.0.1:$mock_port" \
  --Tollgate:Storage:ConnectionString "$storage") >"$logs/tollgate.log" 2>&1 &
tollgate_pid=$!

for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && curl -sf "http://127.0.0.1:$mock_port/healthz" >/dev/null; then break; fi
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "Tollgate did not start:"; cat "$logs/tollgate.log"; exit 1; }

echo
echo "== Dev key: $key"
echo "== curl http://127.0.0.1:$port/v1/chat/completions (non-streaming)"
plain=$(curl -sS -D "$logs/plain.headers" "http://127.0.0.1:$port/v1/chat/completions" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}')
echo "$plain"
echo
echo "== curl -N ... \"stream\":true"
streamed=$(curl -sS -N -D "$logs/stream.headers" "http://127.0.0.1:$port/v1/chat/completions" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello!"}]}')
echo "$streamed"

request_id() { sed -nE 's/^x-request-id: *([A-Za-z0-9_]+).*/\1/Ip' "$1" | head -n 1; }
ids=("$(request_id "$logs/plain.headers")" "$(request_id "$logs/stream.headers")")

echo
echo "== Usage records of the dev key, newest first (admin API), once the ledger has written ${ids[*]}"
usage=""
recorded=false
for _ in $(seq 1 60); do
  usage=$(curl -sS "http://127.0.0.1:$port/manage/keys/dev/usage" -H "Authorization: Bearer $admin_key")
  recorded=true
  for id in "${ids[@]}"; do
    { [ -n "$id" ] && grep -qF "\"request_id\":\"$id\"" <<<"$usage"; } || recorded=false
  done
  $recorded && break
  sleep 0.5
done
$recorded || echo "(after 30 s the records of ${ids[*]} are not there yet; tests/.local-run/tollgate.log says why)"
echo "$usage"

echo
echo "== Roll usage up now (it also runs every 5 minutes), then the dev key's own usage this month: curl /v1/usage"
curl -sS -X POST "http://127.0.0.1:$port/manage/billing/aggregate" -H "Authorization: Bearer $admin_key"
echo
key_usage=$(curl -sS "http://127.0.0.1:$port/v1/usage" -H "Authorization: Bearer $key")
echo "$key_usage"

if $smoke; then
  grep -q '"object":"usage"' <<<"$key_usage" && grep -q '"requests":[1-9]' <<<"$key_usage" || { echo "Smoke: /v1/usage failed"; cat "$logs/tollgate.log"; exit 1; }
  # The dev key's budget (appsettings.Development.json) is listed with what its two requests spent.
  grep -q '"scope":"key","period":"month","mode":"hard"' <<<"$key_usage" && ! grep -q '"spent":0,' <<<"$key_usage" || { echo "Smoke: the dev key's budget is missing from /v1/usage"; exit 1; }
  grep -q '"object":"chat.completion"' <<<"$plain" || { echo "Smoke: non-streaming call failed"; cat "$logs/tollgate.log"; exit 1; }
  grep -q 'data: \[DONE\]' <<<"$streamed" || { echo "Smoke: streaming call failed"; cat "$logs/tollgate.log"; exit 1; }
  $recorded || { echo "Smoke: usage records of ${ids[*]} missing"; cat "$logs/tollgate.log"; exit 1; }
  [ "$(grep -o '"source":"reported"' <<<"$usage" | wc -l)" -ge 2 ] || { echo "Smoke: usage records not reported by the upstream"; echo "$usage"; exit 1; }
  # One log line per request, written by the batching console logger within 50 ms; never the key itself.
  [ "$(grep -c 'ChatCompletionsHandler\[1000\] Request req_' "$logs/tollgate.log")" -ge 2 ] || { echo "Smoke: request log lines missing"; cat "$logs/tollgate.log"; exit 1; }
  ! grep -qF -e "$key" -e "$admin_key" -e "$dev_account_key" "$logs/tollgate.log" || { echo "Smoke: a key appeared in the log"; exit 1; }
  # The admin console and the OpenAPI document are served.
  # (Read whole first: grep -q stops reading at its match, and under pipefail curl's broken pipe would fail the check.)
  console_page=$(curl -fsS "http://127.0.0.1:$port/console/") && grep -q '<title>Tollgate console</title>' <<<"$console_page" || { echo "Smoke: /console/ failed"; exit 1; }
  openapi=$(curl -fsS "http://127.0.0.1:$port/openapi/v1.json") && grep -q '"openapi": "3.1.0"' <<<"$openapi" || { echo "Smoke: /openapi/v1.json failed"; exit 1; }
  echo "Local run smoke test: OK"
  exit 0
fi

echo
echo "Tollgate is running at http://127.0.0.1:$port (OpenAI base URL http://127.0.0.1:$port/v1). Ctrl-C (or SIGTERM) stops everything."
echo "Admin API: curl -H 'Authorization: Bearer $admin_key' http://127.0.0.1:$port/manage/keys"
echo "Admin console: http://127.0.0.1:$port/console/ (sign in with $admin_key)"
wait
