#!/usr/bin/env bash
# Checks deploy/logtriage.service with systemd-analyze verify, against a freshly
# built binary (the unit names /usr/local/bin/logtriage; verify wants it to exist).
# Skips, saying so, where systemd-analyze is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null; then
	echo "verify-unit.sh: systemd-analyze not installed; deploy/logtriage.service not checked" >&2
	exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/logtriage" ./cmd/logtriage
sed "s#/usr/local/bin/logtriage#$tmp/logtriage#" deploy/logtriage.service > "$tmp/logtriage.service"
out="$(systemd-analyze verify "$tmp/logtriage.service" 2>&1)" || { echo "$out" >&2; exit 1; }
if [[ -n "$out" ]]; then
	echo "verify-unit.sh: systemd-analyze verify complained:" >&2
	echo "$out" >&2
	exit 1
fi
echo "verify-unit.sh: deploy/logtriage.service verified"
