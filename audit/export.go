package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ExportVersion tags export files.
const ExportVersion = "logtriage.audit.export.v1"

// ExportHeader is the first line of an export: {"export": {...}}.
type ExportHeader struct {
	Version string    `json:"version"`
	Tenant  string    `json:"tenant,omitempty"` // "" for an operator's export of every tenant
	Since   time.Time `json:"since,omitzero"`
	Created time.Time `json:"created"`
	KeyID   string    `json:"key_id,omitempty"` // the key the checkpoints are signed with
}

// An export is JSON lines: the header, then per tenant its checkpoints
// ({"checkpoint": {...}}) and its events (one Event object per line, with
// seq, prev_hash and hash) in chain order. Checkpoints come first so a
// verifier reading the file once knows which hashes are signed, and a file
// whose tail was cut is found truncated.
type exportLine struct {
	Event
	Export     *ExportHeader `json:"export,omitempty"`
	Checkpoint *Checkpoint   `json:"checkpoint,omitempty"`
}

// WriteExport streams q to w as JSON lines. Each tenant's chain stops at the
// head read when the export starts, so the checkpoints and events agree even
// while new events are recorded. Memory stays flat: events are written as
// the store hands them over.
func WriteExport(ctx context.Context, s Store, w io.Writer, q ExportQuery, h ExportHeader) error {
	tenants := []string{q.Tenant}
	if q.AllTenants {
		var err error
		if tenants, err = s.AuditTenants(ctx); err != nil {
			return err
		}
	} else if q.Tenant == "" {
		return errors.New("audit export: a tenant is required")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h.Version = ExportVersion
	h.Tenant = q.Tenant
	h.Since = q.Since
	if err := enc.Encode(exportLine{Export: &h}); err != nil {
		return err
	}
	for _, t := range tenants {
		head, err := s.AuditHead(ctx, t)
		if err != nil {
			return err
		}
		cps, err := s.AuditCheckpoints(ctx, t)
		if err != nil {
			return err
		}
		for i := range cps {
			if cps[i].Seq <= head.Seq {
				if err := enc.Encode(exportLine{Checkpoint: &cps[i]}); err != nil {
					return err
				}
			}
		}
		err = s.ExportAudit(ctx, ExportQuery{Tenant: t, Since: q.Since, UpTo: map[string]uint64{t: head.Seq}},
			func(e Event) error { return enc.Encode(&e) })
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}

// VerifyExport reads an export (or any JSON lines of events and checkpoints)
// and verifies it. A header with Since accepts a chain that starts mid-way.
func VerifyExport(r io.Reader, opts VerifyOptions) (Report, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	x := exportReader{opts: opts}
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: no event is that long.
			x.verifier(false).Malformed("", n, errors.New("line longer than 1 MiB"))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			if herr := x.line(n, trimmed); herr != nil {
				return Report{}, herr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Report{}, err
		}
	}
	return x.verifier(false).Finish(), nil
}

// exportReader feeds an export's lines to a verifier, made when the first
// line says whether the export starts mid-chain.
type exportReader struct {
	opts VerifyOptions
	v    *Verifier
}

func (x *exportReader) verifier(partial bool) *Verifier {
	if x.v == nil {
		x.opts.AllowPartial = x.opts.AllowPartial || partial
		x.v = NewVerifier(x.opts)
	}
	return x.v
}

func (x *exportReader) line(n int, line []byte) error {
	var ev Event
	if bytes.HasPrefix(line, []byte(`{"id":`)) && decodeEventLine(line, &ev) && ev.Tenant != "" {
		x.verifier(false).Add(&ev, n)
		return nil
	}
	var l exportLine
	if err := json.Unmarshal(line, &l); err != nil {
		x.verifier(false).Malformed("", n, fmt.Errorf("not JSON: %v", err))
		return nil
	}
	switch {
	case l.Export != nil:
		if x.v != nil {
			x.v.Malformed("", n, errors.New("a second export header"))
			return nil
		}
		if l.Export.Version != ExportVersion {
			return fmt.Errorf("line %d: export version %q, this verifier reads %q", n, l.Export.Version, ExportVersion)
		}
		x.verifier(!l.Export.Since.IsZero())
	case l.Checkpoint != nil:
		x.verifier(false).AddCheckpoint(*l.Checkpoint, n)
	case l.Tenant != "":
		x.verifier(false).Add(&l.Event, n)
	default:
		x.verifier(false).Malformed("", n, errors.New("neither an event, a checkpoint nor a header"))
	}
	return nil
}
