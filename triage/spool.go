package triage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// SpoolPattern names the files Open spools archives to (os.CreateTemp).
const SpoolPattern = "logtriage-zip-*"

// SweepSpool removes the spool files a killed process left in dir (raw,
// unredacted uploads) and returns how many. Only the process that owns dir
// may call it, before it opens anything: serve at start, on its data dir.
// A missing dir is not an error.
func SweepSpool(dir string) (int, error) {
	matches, err := filepath.Glob(filepath.Join(dir, SpoolPattern))
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() {
			continue // only what Open makes
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
