package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/portal/apiclient"
	"github.com/logtriage/logtriage/triage"
)

// submitAPI uploads through the portal's API (grant, then the streamed
// body) instead of NATS, as a customer's script does from outside: with a
// progress bar on a terminal, and with --wait the case as the token's
// account may see it.
func submitAPI(ctx context.Context, c *apiclient.Client, files []string, wait bool, timeout time.Duration, format string, stdout, stderr io.Writer) int {
	code := 0
	var ids []string
	for _, path := range files {
		st, err := uploadFile(ctx, c, path, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "logtriage submit: %s: %v\n", path, err)
			code = 1
			continue
		}
		if !wait {
			if format == "json" {
				printJSON(stdout, st)
			} else {
				fmt.Fprintf(stdout, "%s upload %s %s\n", filepath.Base(path), st.UploadID, st.Status)
			}
			continue
		}
		ids = append(ids, st.ID)
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, id := range ids {
		st, err := c.Wait(waitCtx, id, 500*time.Millisecond)
		if err != nil {
			fmt.Fprintf(stderr, "logtriage submit: %v\n", err)
			code = 1
			continue
		}
		if st.Status == triage.StatusFailed || st.CaseID == "" {
			fmt.Fprintf(stderr, "logtriage submit: %s: %s: %s\n", st.Name, st.Status, st.Reason)
			code = 1
			printJSON(stdout, st)
			continue
		}
		raw, err := c.Case(waitCtx, st.CaseID)
		if err != nil {
			fmt.Fprintf(stderr, "logtriage submit: case %s: %v\n", st.CaseID, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s\n", raw)
	}
	return code
}

func printJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

func uploadFile(ctx context.Context, c *apiclient.Client, path string, stderr io.Writer) (st portal.UploadStatus, err error) {
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return st, err
	}
	if !fi.Mode().IsRegular() {
		return st, fmt.Errorf("not a regular file")
	}
	bar := newProgressBar(stderr, filepath.Base(path))
	st, err = c.Upload(ctx, filepath.Base(path), fi.Size(), f, triage.CaseRefFromName(path), bar.update)
	bar.done(err == nil)
	return st, err
}

// progressBar draws "name [=====>    ]  45%  12.3/27.0 MB" on a terminal,
// at most ten times a second; elsewhere it prints one line at the end.
type progressBar struct {
	w     io.Writer
	name  string
	tty   bool
	last  time.Time
	sent  int64
	total int64
}

func newProgressBar(w io.Writer, name string) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, name: name, tty: tty}
}

func (p *progressBar) update(sent, total int64) {
	p.sent, p.total = sent, total
	if !p.tty || (time.Since(p.last) < 100*time.Millisecond && sent < total) {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progressBar) draw() {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.sent) / float64(p.total)
	}
	filled := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		switch {
		case i < filled:
			bar[i] = '='
		case i == filled:
			bar[i] = '>'
		default:
			bar[i] = ' '
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%%  %.1f/%.1f MB", p.name, bar, 100*frac, float64(p.sent)/(1<<20), float64(p.total)/(1<<20))
}

func (p *progressBar) done(ok bool) {
	if p.tty {
		p.draw()
		fmt.Fprintln(p.w)
		return
	}
	if ok {
		fmt.Fprintf(p.w, "%s: sent %d bytes\n", p.name, p.sent)
	}
}
