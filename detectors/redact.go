package detectors

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// Streaming: input is read into one fixed buffer and scanned a block of
// whole lines at a time, so memory does not grow with the input. A line
// longer than the buffer is cut into chunks at a delimiter (whitespace
// preferred) so no token is split; a PEM block that straddles two blocks is
// carried into the next one whole.

// defaultBlockSize is the bytes scanned per block, and so the chunk size
// for long lines and the bound on the engine's streaming memory.
const defaultBlockSize = 1 << 20

// RedactedLine is one line of redacted output.
type RedactedLine struct {
	Number   int       // 1-based line number
	Offset   int64     // absolute offset of Text's first source byte
	Text     []byte    // redacted, without the line ending; valid only during the callback
	Findings []Finding // findings that start on this line (a PEM block may run over the next ones)
	Ending   string    // "\n", "\r\n", or "" (last line without newline, or a Partial chunk)
	Partial  bool      // a chunk of a very long line: more of line Number follows
}

// Stats summarises a Redact run.
type Stats struct {
	Lines    int            `json:"lines"`
	Bytes    int64          `json:"bytes"`
	Findings int            `json:"findings"`
	ByType   map[string]int `json:"by_type"`
}

type block struct {
	data      []byte
	base      int64 // absolute offset of data[0]
	line      int   // line number of data[0]
	lineStart int64 // absolute offset where that line starts (before base for a chunk)
	findings  []Finding
	open      bool // data ends inside a line that continues in the next block
}

// blocks reads r and calls fn for each scanned block.
// valueFollows: the last lines of b (which ends in '\n') open a value that
// the next lines hold: a YAML key with nothing after its ':' or a block
// scalar ("password:", "API_SECRET: |"), or an XML start tag ending its line
// ("<apiToken>", whose value and end tag follow). It returns where the
// opening line starts, so the block ends before it and the key is scanned
// with its value; 0 when there is no such line or it starts the block.
func valueFollows(b []byte) int {
	last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
	if opensValue(b[last : len(b)-1]) {
		return last
	}
	if last == 0 || bytes.IndexByte(b[last:], '<') >= 0 {
		return 0
	}
	// "<apiToken>" then its value: the end tag is still to come
	prev := bytes.LastIndexByte(b[:last-1], '\n') + 1
	l := bytes.TrimRight(b[prev:last-1], " \t\r")
	if n := len(l); n > 1 && l[n-1] == '>' && l[n-2] != '/' && bytes.LastIndex(l, []byte("</")) < 0 && bytes.IndexByte(l, '<') >= 0 {
		return prev
	}
	return 0
}

func opensValue(l []byte) bool {
	l = bytes.TrimRight(l, " \t\r")
	if n := len(l); n > 0 && (l[n-1] == '-' || l[n-1] == '+') {
		l = l[:n-1]
	}
	if n := len(l); n > 1 && (l[n-1] == '|' || l[n-1] == '>') && l[n-2] == ' ' {
		l = bytes.TrimRight(l[:n-1], " ")
	}
	n := len(l)
	return n > 0 && (l[n-1] == ':' || l[n-1] == '>' && bytes.IndexByte(l, '<') >= 0 && bytes.LastIndex(l, []byte("</")) < 0)
}

func (e *Engine) blocks(ctx context.Context, r io.Reader, fn func(*block) error) error {
	// Start small (most uploads are small) and grow to blockSize.
	buf := make([]byte, min(e.blockSize, 64<<10))
	have, eof := 0, false
	var base, lineStart int64
	line := 1
	rd := e.newRenderer()
	var cands []cand // the candidate buffer, reused block after block
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		for stalls := 0; have < len(buf) && !eof; {
			m, err := r.Read(buf[have:])
			have += m
			switch {
			case errors.Is(err, io.EOF):
				eof = true
			case err != nil:
				return err
			case m == 0:
				if stalls++; stalls > 100 {
					return io.ErrNoProgress
				}
			}
		}
		if have == 0 {
			return nil
		}
		if !eof && have == len(buf) && len(buf) < e.blockSize {
			grown := make([]byte, min(2*len(buf), e.blockSize))
			copy(grown, buf)
			buf = grown
			continue
		}
		data := buf[:have]
		cut, open := have, false
		if !eof {
			if nl := bytes.LastIndexByte(data, '\n'); nl >= 0 {
				cut = nl + 1
				if ls := valueFollows(data[:cut]); ls > 0 {
					cut = ls // the key line goes with the line holding its value
				}
			} else {
				cut, open = longLineCut(data, len(data)/16), true
			}
		}
		s := scanner{e: e, b: data[:cut], final: (eof && cut == have) || open, pending: -1, out: cands[:0]}
		fs := e.findings(&s, base, rd)
		if s.pending == 0 {
			// The block opens with a key longer than the buffer: close it here.
			s = scanner{e: e, b: data[:cut], final: true, pending: -1, out: s.out[:0]}
			fs = e.findings(&s, base, rd)
		} else if s.pending > 0 {
			cut = s.pending
		}
		cands = s.out
		bl := &block{data: data[:cut], base: base, line: line, lineStart: lineStart, findings: fs, open: open}
		locate(fs, bl.data, base, line, lineStart)
		if err := fn(bl); err != nil {
			return err
		}
		if nl := bytes.LastIndexByte(bl.data, '\n'); nl >= 0 {
			line += bytes.Count(bl.data, []byte{'\n'})
			lineStart = base + int64(nl) + 1
		}
		base += int64(cut)
		have = copy(buf, buf[cut:have])
	}
}

// longLineCut picks where to cut a buffer that holds no newline: the last
// whitespace in the final window, else the last delimiter, else the end.
func longLineCut(data []byte, window int) int {
	lo := len(data) - window
	if lo < 0 {
		lo = 0
	}
	w := data[lo:]
	if i := bytes.LastIndexAny(w, " \t"); i >= 0 {
		return lo + i + 1
	}
	if i := bytes.LastIndexAny(w, ",;&|>\""); i >= 0 {
		return lo + i + 1
	}
	return len(data)
}

// RedactLines streams r and calls fn with every line redacted, in order.
func (e *Engine) RedactLines(ctx context.Context, r io.Reader, fn func(RedactedLine) error) error {
	var out []byte
	return e.blocks(ctx, r, func(bl *block) error {
		d := bl.data
		fs := bl.findings
		k := 0 // first finding that may touch the current line
		number := bl.line
		for ls := 0; ls < len(d); {
			le, next, ending := len(d), len(d), ""
			if nl := bytes.IndexByte(d[ls:], '\n'); nl >= 0 {
				le, next, ending = ls+nl, ls+nl+1, "\n"
				if le > ls && d[le-1] == '\r' {
					le, ending = le-1, "\r\n"
				}
			}
			absLS, absLE, absNext := bl.base+int64(ls), bl.base+int64(le), bl.base+int64(next)
			for k < len(fs) && fs[k].End <= absLS {
				k++
			}
			out = out[:0]
			pos := absLS
			first := len(fs)
			last := k
			for j := k; j < len(fs) && fs[j].Start < absNext; j++ {
				f := fs[j]
				if f.Start >= absLS && first == len(fs) {
					first = j
				}
				if f.Start >= absLS {
					last = j + 1
				}
				s, en := max(f.Start, absLS), min(f.End, absLE)
				if s > pos {
					out = append(out, d[pos-bl.base:s-bl.base]...)
				}
				if f.Start >= absLS {
					out = append(out, f.Masked...)
				}
				if en > pos {
					pos = en
				}
			}
			text := d[ls:le:le] // no finding touches the line: hand out the input (capped, so an append cannot clobber the next line)
			if pos != absLS || len(out) > 0 {
				if absLE > pos {
					out = append(out, d[pos-bl.base:le]...)
				}
				text = out
			}
			var lineFindings []Finding
			if first < last {
				lineFindings = fs[first:last]
			}
			partial := ending == "" && next == len(d) && bl.open
			if err := fn(RedactedLine{Number: number, Offset: absLS, Text: text, Findings: lineFindings, Ending: ending, Partial: partial}); err != nil {
				return err
			}
			if ending != "" {
				number++
			}
			ls = next
		}
		return nil
	})
}

// Redact copies r to w with every finding replaced, preserving line endings.
func (e *Engine) Redact(ctx context.Context, r io.Reader, w io.Writer) (Stats, error) {
	st := Stats{ByType: map[string]int{}}
	cr := &countingReader{r: r}
	err := e.RedactLines(ctx, cr, func(l RedactedLine) error {
		if !l.Partial {
			st.Lines++
		}
		st.Findings += len(l.Findings)
		for _, f := range l.Findings {
			st.ByType[f.Type]++
		}
		if _, err := w.Write(l.Text); err != nil {
			return err
		}
		if l.Ending != "" {
			if _, err := io.WriteString(w, l.Ending); err != nil {
				return err
			}
		}
		return nil
	})
	st.Bytes = cr.n
	return st, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
