package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/logtriage/logtriage/triage"
)

// errBinary marks input that is not a log (a binary, an executable, a
// bomb): scan skips it inside a walked directory and fails on it otherwise.
var errBinary = errors.New("binary file, not scanned")

// openInput is the one way scan, redact and triage read a log: path, or
// stdin for "-", through triage.Open, the opener the pipeline uses — gzip,
// zip, tar and tar.gz by their content, archive members one after the
// other under a "==> member <==" line, binaries and bombs refused.
func openInput(ctx context.Context, path string, stdin io.Reader) (io.Reader, func() error, error) {
	return openInputProgress(ctx, path, stdin, nil)
}

// openInputProgress is openInput reporting the bytes read on the progress
// that startProgress (may be nil) returns for the input's size.
func openInputProgress(ctx context.Context, path string, stdin io.Reader, startProgress func(size int64) *progress) (io.Reader, func() error, error) {
	var r io.Reader = stdin
	closeFile := func() error { return nil }
	name := "stdin"
	var size int64
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		st, err := f.Stat()
		if err == nil && st.IsDir() {
			f.Close()
			return nil, nil, errors.New("is a directory")
		}
		if err == nil {
			size = st.Size()
		}
		r, closeFile, name = f, f.Close, path
	}
	if startProgress != nil {
		p := startProgress(size)
		r = p.reader(r)
		inner := closeFile
		closeFile = func() error { p.finish(); return inner() }
	}
	o, err := triage.Open(ctx, r, name, triage.OpenLimits{})
	if reason, ok := triage.QuarantineReason(err); ok {
		closeFile()
		return nil, nil, fmt.Errorf("%w (%s)", errBinary, reason)
	}
	if err != nil {
		closeFile()
		return nil, nil, err
	}
	return quarantineAsBinary{o}, func() error { return errors.Join(o.Close(), closeFile()) }, nil
}

// quarantineAsBinary reports a quarantine found mid-stream (a bomb, a
// binary member) as errBinary.
type quarantineAsBinary struct{ r io.Reader }

func (q quarantineAsBinary) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	if reason, ok := triage.QuarantineReason(err); ok {
		return n, fmt.Errorf("%w (%s)", errBinary, reason)
	}
	return n, err
}

// maxStdinBytes bounds what triage spools from stdin (triage.Open's own
// upload cap).
const maxStdinBytes = 512 << 20

// fileOrStdin opens path, or for "-" spools stdin to an unlinked temporary
// file (triage hashes the upload and then reads it again). name is what
// the case calls the upload.
func fileOrStdin(path string, stdin io.Reader) (f *os.File, name string, err error) {
	if path != "-" {
		f, err = os.Open(path)
		return f, path, err
	}
	f, err = os.CreateTemp("", "logtriage-stdin-*")
	if err != nil {
		return nil, "", err
	}
	_ = os.Remove(f.Name()) // nothing left behind, whatever happens next
	n, err := io.Copy(f, io.LimitReader(stdin, maxStdinBytes+1))
	if err == nil && n > maxStdinBytes {
		err = fmt.Errorf("stdin is larger than %d bytes", maxStdinBytes)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return f, "stdin", nil
}
