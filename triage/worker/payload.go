package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/triage"
)

// Object store layout (NATS ADR-20): an object's chunks are the messages on
// $O.<bucket>.C.<nuid> of the bucket's stream OBJ_<bucket>.
const (
	payloadStream       = "OBJ_" + PayloadBucket
	payloadChunkSubject = "$O." + PayloadBucket + ".C."
)

// errDigestMismatch means the stored chunks do not hash to the object's digest.
var errDigestMismatch = errors.New("payload chunks do not match the object digest")

// chunkReader streams an object's chunks with one direct get each. The
// client's ObjectStore.Get creates and removes an ephemeral consumer per
// object, several times the cost for a typical single-chunk log.
type chunkReader struct {
	ctx     context.Context
	stream  jetstream.Stream
	subject string
	next    uint64 // stream sequence to look from
	left    uint32 // chunks not read yet
	buf     []byte
	sum     hash.Hash
	digest  string
}

func newChunkReader(ctx context.Context, stream jetstream.Stream, info *jetstream.ObjectInfo) *chunkReader {
	return &chunkReader{ctx: ctx, stream: stream, subject: payloadChunkSubject + info.NUID,
		left: info.Chunks, sum: sha256.New(), digest: info.Digest}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.left == 0 {
			if jetstream.GetObjectDigestValue(r.sum) != r.digest {
				return 0, triage.Invalid("payload", errDigestMismatch)
			}
			return 0, io.EOF
		}
		m, err := r.stream.GetMsg(r.ctx, r.next, jetstream.WithGetMsgSubject(r.subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return 0, triage.Invalid("payload", fmt.Errorf("payload chunk missing (%d of the object's chunks left)", r.left))
		}
		if err != nil {
			return 0, triage.Transient("payload", err)
		}
		r.next, r.left, r.buf = m.Sequence+1, r.left-1, m.Data
		r.sum.Write(m.Data)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// openPayload returns the payload reader, or the dead-letter reason when the
// upload can never succeed, or only an error when it may on a retry.
func (w *Worker) openPayload(ctx context.Context, ev UploadEvent) (io.Reader, string, error) {
	if ev.Inline {
		if sum := sha256.Sum256(ev.Content); hex.EncodeToString(sum[:]) != strings.ToLower(ev.SHA256) {
			return nil, "digest_mismatch", errors.New("inline content does not match the event's sha256")
		}
		return bytes.NewReader(ev.Content), "", nil
	}
	info, err := w.obs.GetInfo(ctx, ev.Object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, "missing_object", fmt.Errorf("payload object %q not found", ev.Object)
	}
	if err != nil {
		return nil, "", triage.Transient("payload", err)
	}
	if t := info.Headers.Get(HeaderTenant); t != "" && t != ev.Tenant {
		return nil, "tenant_mismatch", fmt.Errorf("payload object %q belongs to another tenant", ev.Object)
	}
	if want := digestOfHex(ev.SHA256); want != "" && info.Digest != want {
		return nil, "digest_mismatch", fmt.Errorf("payload object %q does not match the event's sha256", ev.Object)
	}
	if info.Opts != nil && info.Opts.Link != nil {
		return nil, "bad_event", fmt.Errorf("payload object %q is a link", ev.Object)
	}
	return newChunkReader(ctx, w.payloads, info), "", nil
}

func digestOfHex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	return "SHA-256=" + base64.URLEncoding.EncodeToString(b)
}
