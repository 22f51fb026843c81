#!/usr/bin/env bash
# The README's test command: runs every Go test. The PostgreSQL half runs against
# real pgvector (PGlite on loopback) started by scripts/pglite.sh when Node is present;
# without it those tests skip with a message saying how to run them.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -count=1 ./...
