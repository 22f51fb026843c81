package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// slowReader hands out its bytes a chunk at a time, pausing between chunks.
type slowReader struct {
	left  int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := min(len(p), s.left, 1<<20)
	s.left -= n
	return n, nil
}

func TestProgress(t *testing.T) {
	var w lockedBuffer
	p := startProgressTo(&w, "scan big.log", 4<<20, 20*time.Millisecond)
	if _, err := io.Copy(io.Discard, p.reader(&slowReader{left: 4 << 20, pause: 30 * time.Millisecond})); err != nil {
		t.Fatal(err)
	}
	p.finish()
	out := w.String()
	if !strings.Contains(out, "\rscan big.log: ") || !strings.Contains(out, "of 4.0 MiB (") || !strings.HasSuffix(out, "\r") {
		t.Errorf("progress output %q", out)
	}
	// Not a terminal (a buffer, a pipe): nothing at all.
	var quiet bytes.Buffer
	if p := startProgress(&quiet, false, "x", 1); p != nil {
		t.Error("progress on a non-terminal")
	}
	var nilP *progress
	r := nilP.reader(strings.NewReader("abc"))
	if b, _ := io.ReadAll(r); string(b) != "abc" {
		t.Error("a nil progress changed the reader")
	}
	nilP.finish()
}
