#!/usr/bin/env bash
# Builds the detectors' real-log false-positive corpus from what this machine
# and Debian's packages really produce, into OUT (default
# ${TMPDIR:-/tmp}/logtriage-reallogs). Nothing here is written by hand:
#
#   system/     /var/log (dpkg, apt history and terminal logs, alternatives),
#               the systemd journal when there is one, rotated .gz/.xz logs
#   go/         `go build -a -n -x` of the standard library and of this module,
#               `go test -v` of standard-library packages, `go vet -x`
#   postgres/   a throw-away PostgreSQL cluster (initdb, then pgbench with
#               log_statement=all, connections, durations, checkpoints)
#   nats/       an embedded nats-server with debug+trace and JetStream
#               (eval/gen/natslog), its messages being lines of the logs above
#   strace/     strace -f of `go list std` and of `dpkg -l`
#   build/      interpreter build logs left on the machine (python-build.*.log)
#
# Usage: scripts/reallogs.sh [OUT]        (about 60 MB, a few minutes)
#        REALLOGS_MB=20 scripts/reallogs.sh   smaller PostgreSQL/NATS parts
#        scripts/reallogs.sh --sample DIR  cut the committed sample (first
#                                          32 KiB of each source) from DIR
# Run `go test ./detectors -run RealLogs -v` afterwards (REALLOGS_DIR=OUT if
# OUT is not the default).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"

if [[ "${1:-}" == "--sample" ]]; then
	src="${2:?usage: reallogs.sh --sample DIR}"
	dst="$here/detectors/testdata/reallogs"
	mkdir -p "$dst"
	# one file of each kind: the interpreter build logs and the two go build
	# dry runs repeat each other in their first 32 KiB
	find "$src" -type f -name '*.log' ! -name 'build-module.log' | sort | awk -F/ '!/python-build/ || !seen++' | while read -r f; do
		name="$(echo "${f#"$src"/}" | tr '/' '_')"
		head -c 32768 "$f" | sed '$d' >"$dst/$name" # whole lines only
	done
	du -sh "$dst"
	exit 0
fi

out="${1:-${TMPDIR:-/tmp}/logtriage-reallogs}"
mb="${REALLOGS_MB:-60}"
mkdir -p "$out"/{system,go,postgres,nats,strace,build}
log() { echo "reallogs: $*" >&2; }

# --- system logs
log "system logs"
for f in /var/log/*.log /var/log/apt/*.log /var/log/postgresql/*.log; do
	[[ -r "$f" && -s "$f" ]] && cp "$f" "$out/system/$(echo "${f#/var/log/}" | tr '/' '_')"
done
for f in /var/log/*.gz /var/log/apt/*.gz; do
	[[ -r "$f" ]] && gzip -dc "$f" >"$out/system/$(basename "${f%.gz}").log" || true
done
for f in /var/log/apt/*.xz; do
	[[ -r "$f" ]] && xz -dc "$f" >"$out/system/$(basename "${f%.xz}").log" || true
done
if command -v journalctl >/dev/null && journalctl -q --no-pager -n 1 >/dev/null 2>&1; then
	journalctl -q --no-pager -o short-iso >"$out/system/journal.log" 2>/dev/null || true
fi
find "$out/system" -size 0 -delete

# --- Go build and test output
log "go build/test output"
cd "$here"
go build -a -n -x std >"$out/go/build-std.log" 2>&1 || true
go build -a -n -x ./... >"$out/go/build-module.log" 2>&1 || true
go vet -x ./router/... >"$out/go/vet-router.log" 2>&1 || true
for p in strings bytes strconv regexp net/url encoding/json encoding/base64 text/template time sort unicode/utf8 path/filepath bufio compress/flate; do
	nice -n 10 go test -v -count=1 -short "$p" >>"$out/go/test-std.log" 2>&1 || true
done

# --- PostgreSQL
if command -v pg_ctl >/dev/null || [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
	log "postgresql"
	bin="$(dirname "$(readlink -f "$(command -v pg_ctl || echo /usr/lib/postgresql/15/bin/pg_ctl)")")"
	pgdir="$(mktemp -d)"
	as=()
	if [[ "$(id -u)" == 0 ]]; then
		chown postgres "$pgdir"
		as=(runuser -u postgres --)
	fi
	port=$((20000 + RANDOM % 20000))
	pglog="$out/postgres/postgresql.log"
	touch "$pglog" && { [[ "$(id -u)" != 0 ]] || chown postgres "$pglog"; }
	"${as[@]}" "$bin/initdb" -D "$pgdir/data" -U postgres -A trust >"$out/postgres/initdb.log" 2>&1
	"${as[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pglog" -w -o "-p $port -k $pgdir -c listen_addresses='' \
		-c log_statement=all -c log_connections=on -c log_disconnections=on -c log_duration=on \
		-c log_checkpoints=on -c log_lock_waits=on -c log_autovacuum_min_duration=0 -c checkpoint_timeout=30s \
		-c log_line_prefix='%m [%p] %q%u@%d/%a '" start >/dev/null
	secs=$((mb / 2))
	"${as[@]}" "$bin/pgbench" -h "$pgdir" -p "$port" -U postgres -i -s 2 postgres >"$out/postgres/pgbench-init.log" 2>&1 || true
	"${as[@]}" "$bin/pgbench" -h "$pgdir" -p "$port" -U postgres -c 2 -T "$secs" -P 5 postgres >"$out/postgres/pgbench.log" 2>&1 || true
	"${as[@]}" "$bin/psql" -h "$pgdir" -p "$port" -U postgres -c 'vacuum analyze' -c 'select * from nonexistent' postgres >/dev/null 2>&1 || true
	"${as[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null
	rm -rf "$pgdir"
fi

# --- strace
if command -v strace >/dev/null; then
	log "strace"
	strace -f -o "$out/strace/go-list.log" go list std >/dev/null 2>&1 || true
	strace -f -o "$out/strace/dpkg-l.log" dpkg -l >/dev/null 2>&1 || true
fi

# --- build logs left on the machine
for f in /tmp/python-build.*.log; do
	[[ -r "$f" ]] && cp "$f" "$out/build/" || true
done

# --- NATS, last: its payloads are lines of the logs above
log "nats"
cat "$out"/system/*.log "$out"/go/test-std.log 2>/dev/null | head -n 50000 >"$out/nats/.payloads" || true
go run ./eval/gen/natslog -log "$out/nats/nats-server.log" -messages $((mb * 500)) -payloads "$out/nats/.payloads"
rm -f "$out/nats/.payloads"

du -sh "$out"
