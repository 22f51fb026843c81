package detectors

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentUse: one Engine serves many goroutines (the worker shares
// it); each gets the same redaction as a lone caller. Run with -race.
func TestConcurrentUse(t *testing.T) {
	e := testEngine(t)
	in := sampleLog()
	var want bytes.Buffer
	if _, err := e.Redact(context.Background(), strings.NewReader(in), &want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				var out bytes.Buffer
				if _, err := e.Redact(context.Background(), strings.NewReader(in), &out); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(out.Bytes(), want.Bytes()) {
					t.Error("concurrent redaction differs")
					return
				}
				e.ScanBytes([]byte(in))
			}
		}()
	}
	wg.Wait()
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestStreamErrors: a cancelled context, a failing reader and a failing
// callback each stop the stream with their error.
func TestStreamErrors(t *testing.T) {
	e := testEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.RedactLines(ctx, strings.NewReader("a\n"), func(RedactedLine) error { return nil }); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
	readErr := errors.New("disk on fire")
	if err := e.ScanReader(context.Background(), failingReader{readErr}, func(Finding) error { return nil }); !errors.Is(err, readErr) {
		t.Errorf("reader: %v", err)
	}
	stop := errors.New("stop")
	if err := e.ScanReader(context.Background(), strings.NewReader("mail bob@example.com\n"), func(Finding) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback: %v", err)
	}
	if _, err := e.Redact(context.Background(), strings.NewReader("a\nb\n"), failingWriter{}); err == nil {
		t.Error("write error swallowed")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }
