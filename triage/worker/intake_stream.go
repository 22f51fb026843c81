package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamSubmission is an upload whose content can be read only once, as it
// arrives (an HTTP request body): it goes straight to the payload bucket in
// chunks, hashed on the way, and is never held whole in memory.
type StreamSubmission struct {
	Tenant  string
	Name    string // only its base name is kept
	CaseRef string
	// Object names the payload in the bucket; the upload id is only known
	// once the content is hashed, so the caller picks a unique name (the
	// portal uses its upload grant's id).
	Object string
	// Size is the declared length (-1: unknown); the content must match it.
	Size    int64
	Content io.Reader
	// MaxSize caps the content; default DefaultMaxUploadSize.
	MaxSize int64
	// BeforePublish runs once the upload id is known and before the event is
	// published (the portal records the pending status there, so the worker's
	// later status always wins). An error stops the submission.
	BeforePublish func(ctx context.Context, ev UploadEvent) error
}

// SubmitStream stores the content under s.Object, then publishes the same
// upload event Submit does. A resubmission of content the stream has already
// seen (same tenant, content and name) removes the second copy.
func SubmitStream(ctx context.Context, js jetstream.JetStream, s StreamSubmission) (Receipt, error) {
	if err := ValidTenant(s.Tenant); err != nil {
		return Receipt{}, err
	}
	if s.MaxSize <= 0 {
		s.MaxSize = DefaultMaxUploadSize
	}
	if s.Size > s.MaxSize {
		return Receipt{}, fmt.Errorf("%w of %d bytes", ErrTooLarge, s.MaxSize)
	}
	name := filepath.Base(s.Name)
	if name == "." || name == string(filepath.Separator) || s.Object == "" {
		return Receipt{}, fmt.Errorf("upload %q needs a file name and an object name", s.Name)
	}
	obs, err := js.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		return Receipt{}, fmt.Errorf("payload bucket %s: %w", PayloadBucket, err)
	}
	h := sha256.New()
	counted := &countingReader{r: io.LimitReader(s.Content, s.MaxSize+1)}
	chunk := chunkSize(maxChunk, js.Conn().MaxPayload())
	if s.Size >= 0 {
		chunk = chunkSize(s.Size, js.Conn().MaxPayload())
	}
	meta := jetstream.ObjectMeta{Name: s.Object, Description: name,
		Headers: nats.Header{HeaderTenant: []string{s.Tenant}},
		Opts:    &jetstream.ObjectMetaOptions{ChunkSize: uint32(chunk)}}
	info, err := obs.Put(ctx, meta, io.TeeReader(counted, h))
	if err != nil {
		return Receipt{}, fmt.Errorf("store %s: %w", name, err)
	}
	discard := func() { obs.Delete(context.WithoutCancel(ctx), s.Object) }
	switch {
	case counted.n > s.MaxSize:
		discard()
		return Receipt{}, fmt.Errorf("%s: %w of %d bytes", name, ErrTooLarge, s.MaxSize)
	case s.Size >= 0 && counted.n != s.Size:
		discard()
		return Receipt{}, fmt.Errorf("%s: got %d bytes, %d were declared", name, counted.n, s.Size)
	case info.Digest != jetstream.GetObjectDigestValue(h):
		discard()
		return Receipt{}, errors.New("stored payload does not match what was read")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	ev := UploadEvent{
		Tenant: s.Tenant, UploadID: UploadID(s.Tenant, sum, name), CaseRef: s.CaseRef, Name: name,
		Size: counted.n, SHA256: sum, Object: s.Object, SubmittedAt: time.Now().UTC(),
	}
	if s.BeforePublish != nil {
		if err := s.BeforePublish(ctx, ev); err != nil {
			discard()
			return Receipt{}, err
		}
	}
	msg, err := eventMessage(ev)
	if err != nil {
		discard()
		return Receipt{}, err
	}
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.UploadID), jetstream.WithExpectStream(UploadsStream))
	if err != nil {
		return Receipt{}, fmt.Errorf("publish upload event: %w", err)
	}
	if ack.Duplicate {
		discard() // the first copy's event names the first object
	}
	return Receipt{Event: ev, Duplicate: ack.Duplicate}, nil
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
