#!/usr/bin/env bash
# Native PostgreSQL 15 + pgvector for tests and benchmarks: Debian's postgresql-15
# with pgvector built from source against it, and a throw-away cluster on loopback.
#
#   scripts/pgnative.sh install   apt-get the server and headers (root), build and
#                                 install pgvector from PGVECTOR_SRC if missing
#   scripts/pgnative.sh start     install if needed, initdb a fresh cluster in the run
#                                 dir, start it on a free loopback port, create the
#                                 extension, print the DATABASE_URL on stdout
#   scripts/pgnative.sh available exit 0 when server and pgvector are installed
#   scripts/pgnative.sh url       print the DATABASE_URL of the running cluster
#   scripts/pgnative.sh stop      stop the cluster and delete its data
#
# PGVECTOR_SRC: the pgvector release tarball (default: the first
#   pgvector-*.tar.gz in ../shared/vendor beside the checkout, or in vendor/).
# PGNATIVE_RUN_DIR (default scripts/pgnative/run): data, port, password, log,
#   so several checkouts or test runs can each have their own cluster.
# PGNATIVE_SETTINGS: extra postgresql.conf lines (e.g. "shared_buffers = 2GB").
# The server runs as the 'postgres' OS user (PostgreSQL refuses root); the
# cluster password is random per cluster and never written into the repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
run_dir="${PGNATIVE_RUN_DIR:-$here/pgnative/run}"
pg_major="${PGNATIVE_MAJOR:-15}"
bindir="/usr/lib/postgresql/$pg_major/bin"

die() { echo "pgnative.sh: $*" >&2; exit 1; }

pgvector_src() {
	if [[ -n "${PGVECTOR_SRC:-}" ]]; then echo "$PGVECTOR_SRC"; return; fi
	local f
	for f in "$root"/../shared/vendor/pgvector-*.tar.gz "$root"/vendor/pgvector-*.tar.gz; do
		[[ -f "$f" ]] && { echo "$f"; return; }
	done
	die "no pgvector source tarball: set PGVECTOR_SRC (pgvector is built from its release source)"
}

have_vector() { [[ -f "$("$bindir/pg_config" --sharedir)/extension/vector.control" ]]; }

install() {
	if [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_config" ]]; then
		[[ $(id -u) == 0 ]] || die "postgresql-$pg_major is not installed and this is not root"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq "postgresql-$pg_major" "postgresql-server-dev-$pg_major" build-essential >&2
	fi
	have_vector && return
	local src build
	src="$(pgvector_src)"
	build="$(mktemp -d "${TMPDIR:-/tmp}/pgvector-build.XXXXXX")"
	tar -xzf "$src" -C "$build" --strip-components=1
	# OPTFLAGS="": no -march=native, so the build runs on any x86-64 this cluster moves to.
	make -s -C "$build" PG_CONFIG="$bindir/pg_config" OPTFLAGS="" >&2
	make -s -C "$build" PG_CONFIG="$bindir/pg_config" install >&2
	rm -rf "$build"
	have_vector || die "pgvector did not install"
}

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null ||
		node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

as_pg() {
	if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url_for() { echo "postgresql://postgres:$(cat "$run_dir/password")@127.0.0.1:$(cat "$run_dir/port")/postgres?sslmode=disable"; }

running() { [[ -f "$run_dir/port" ]] && as_pg "$bindir/pg_ctl" -D "$run_dir/data" status >/dev/null 2>&1; }

start() {
	install
	if running; then url_for; return; fi
	mkdir -p "$run_dir"
	rm -rf "$run_dir/data"
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$run_dir/password"
	chmod 600 "$run_dir/password"
	if [[ $(id -u) == 0 ]]; then chown -R postgres: "$run_dir"; fi
	as_pg "$bindir/initdb" -D "$run_dir/data" -U postgres --auth=scram-sha-256 \
		--pwfile="$run_dir/password" -E UTF8 --locale=C.UTF-8 >"$run_dir/initdb.log" 2>&1 ||
		{ cat "$run_dir/initdb.log" >&2; die "initdb failed"; }
	local port
	port="$(free_port)"
	echo "$port" >"$run_dir/port"
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$run_dir'"
		echo "max_connections = 100"
		echo "fsync = ${PGNATIVE_FSYNC:-on}"
		if [[ -n "${PGNATIVE_SETTINGS:-}" ]]; then echo "$PGNATIVE_SETTINGS"; fi
	} | as_pg tee -a "$run_dir/data/postgresql.conf" >/dev/null
	as_pg "$bindir/pg_ctl" -D "$run_dir/data" -l "$run_dir/log" -w -t 60 start >/dev/null ||
		{ cat "$run_dir/log" >&2; die "the server did not start"; }
	PGPASSWORD="$(cat "$run_dir/password")" "$bindir/psql" -qAt -h 127.0.0.1 -p "$port" -U postgres \
		-c "CREATE EXTENSION IF NOT EXISTS vector" postgres >&2
	url_for
}

stop() {
	[[ -d "$run_dir/data" ]] || return 0
	as_pg "$bindir/pg_ctl" -D "$run_dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$run_dir/data" "$run_dir/port" "$run_dir/password"
}

case "${1:-}" in
install) install ;;
# available: exit 0 when the server and pgvector are installed (nothing to install).
available) [[ -x "$bindir/initdb" ]] && have_vector ;;
start) start ;;
stop) stop ;;
url) running || die "not running"; url_for ;;
*) echo "usage: $0 install|start|url|stop" >&2; exit 2 ;;
esac
