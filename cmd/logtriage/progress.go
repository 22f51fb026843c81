package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports how far a long read has got, on a terminal only: a line
// on stderr rewritten in place every interval, after the first interval (a
// quick job prints nothing), and cleared at the end. Off when stderr is not
// a terminal (pipes and logs get no control characters) and with --quiet.
type progress struct {
	w        io.Writer
	label    string
	total    int64 // 0: unknown
	done     atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
	printed  bool
	interval time.Duration
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgress returns nil (no progress) unless stderr is a terminal and
// quiet is off; a nil *progress is safe to use.
func startProgress(stderr io.Writer, quiet bool, label string, total int64) *progress {
	if quiet || !isTerminal(stderr) {
		return nil
	}
	return startProgressTo(stderr, label, total, 500*time.Millisecond)
}

func startProgressTo(w io.Writer, label string, total int64, interval time.Duration) *progress {
	p := &progress{w: w, label: label, total: total, stop: make(chan struct{}), interval: interval}
	p.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.print()
			}
		}
	})
	return p
}

func (p *progress) print() {
	n := p.done.Load()
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r%s: %s of %s (%d%%)   ", p.label, humanBytes(n), humanBytes(p.total), n*100/max(p.total, 1))
	} else {
		fmt.Fprintf(p.w, "\r%s: %s   ", p.label, humanBytes(n))
	}
	p.printed = true
}

// reader counts what is read through r.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return progressReader{r: r, p: p}
}

// finish stops the reports and clears the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	if p.printed {
		fmt.Fprintf(p.w, "\r%*s\r", len(p.label)+40, "")
	}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.done.Add(int64(n))
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
