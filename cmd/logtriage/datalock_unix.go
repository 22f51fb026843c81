//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir holds an exclusive advisory lock on DATA_DIR/serve.lock for
// serve's lifetime, taken before anything under the data dir is touched (the
// spool sweep, the keys, JetStream's files), so a second serve on the same
// data dir stops at once with a clear error. The returned func releases it.
func lockDataDir(dataDir string) (func(), error) {
	path := filepath.Join(dataDir, "serve.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another serve (%s is locked); give this one its own --data-dir", dataDir, path)
		}
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
