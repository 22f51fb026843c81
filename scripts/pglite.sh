#!/usr/bin/env bash
# PostgreSQL + pgvector for tests, without a PostgreSQL install: PGlite (PostgreSQL
# compiled to WASM, from npm) behind pglite-server on a free loopback port.
#
#   scripts/pglite.sh install   npm ci in scripts/pglite (pinned in its package-lock.json)
#   scripts/pglite.sh start     install if needed, start, wait until it accepts
#                               connections, print the DATABASE_URL on stdout
#   scripts/pglite.sh url       print the DATABASE_URL of the running server
#   scripts/pglite.sh stop      stop it
#
# PGLITE_RUN_DIR (default scripts/pglite/run) holds the pid, port and log, so
# several checkouts or test runs can each have their own server.
# PGLITE_MAX_CONNECTIONS (default 32) caps client connections; PGlite runs one
# backend and the server interleaves connections between transactions.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pkg="$here/pglite"
run_dir="${PGLITE_RUN_DIR:-$pkg/run}"
max_conns="${PGLITE_MAX_CONNECTIONS:-32}"

die() { echo "pglite.sh: $*" >&2; exit 1; }

install() {
	command -v node >/dev/null || die "node not found (Node.js >= 18 is needed)"
	if [[ ! -x "$pkg/node_modules/.bin/pglite-server" ]]; then
		(cd "$pkg" && npm ci --no-audit --no-fund --loglevel=error) >&2
	fi
}

url_for() { echo "postgresql://postgres:postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

# free_port asks the kernel for an unused loopback port.
free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$run_dir/pid" ]] && kill -0 "$(cat "$run_dir/pid")" 2>/dev/null; }

start() {
	install
	mkdir -p "$run_dir"
	if running; then
		url_for "$(cat "$run_dir/port")"
		return
	fi
	local port pid
	port="$(free_port)"
	# setsid: the server gets its own process group, so stop can end it and
	# anything it spawned without touching the caller's group.
	setsid "$pkg/node_modules/.bin/pglite-server" \
		--host=127.0.0.1 --port="$port" --max-connections="$max_conns" \
		--extensions=@electric-sql/pglite-pgvector:vector \
		>"$run_dir/log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$run_dir/pid"
	echo "$port" >"$run_dir/port"
	# Poll until the server listens (WASM start-up takes a few seconds).
	local deadline=$((SECONDS + ${PGLITE_START_TIMEOUT:-120}))
	until grep -q "listening" "$run_dir/log" 2>/dev/null && accepting "$port"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$run_dir/log" >&2
			rm -f "$run_dir/pid"
			die "pglite-server exited during start-up"
		fi
		((SECONDS < deadline)) || { stop; die "pglite-server did not listen within ${PGLITE_START_TIMEOUT:-120}s"; }
		sleep 0.2
	done
	url_for "$port"
}

stop() {
	[[ -f "$run_dir/pid" ]] || return 0
	local pid
	pid="$(cat "$run_dir/pid")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$run_dir/pid" "$run_dir/port"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
url) running || die "not running"; url_for "$(cat "$run_dir/port")" ;;
*) echo "usage: $0 install|start|url|stop" >&2; exit 2 ;;
esac
