package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/triage"
)

// prepareSpool makes the spool dir inside the data dir (archives needing
// random access are spooled there, not in $TMPDIR, so raw uploads stay
// under the data dir's permissions) and removes what a killed serve left.
func prepareSpool(dataDir string, log *slog.Logger) (string, error) {
	dir := filepath.Join(dataDir, "spool")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	n, err := triage.SweepSpool(dir)
	if n > 0 {
		log.Warn("removed spool files a previous run left behind", "dir", dir, "files", n)
	}
	return dir, err
}
