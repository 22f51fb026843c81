package detectors

import (
	"bytes"
	"context"
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
