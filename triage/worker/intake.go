package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// UploadEvent is the intake message's metadata. A small upload travels in
// the event's message (Inline: the message body is the file, the event JSON
// is in the HeaderEvent header); a larger one is in the payload bucket under
// Object and the event JSON is the message body.
type UploadEvent struct {
	Tenant      string    `json:"tenant"`
	UploadID    string    `json:"upload_id"`
	CaseRef     string    `json:"case_ref,omitempty"` // customer's case number from the file-name prefix
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`           // hex
	Object      string    `json:"object,omitempty"` // name in PayloadBucket; empty when Inline
	Inline      bool      `json:"inline,omitempty"`
	Content     []byte    `json:"-"` // the file when Inline: the message body
	SubmittedAt time.Time `json:"submitted_at"`
}

// Validate checks what the worker relies on.
func (e UploadEvent) Validate() error {
	if err := ValidTenant(e.Tenant); err != nil {
		return err
	}
	switch {
	case e.UploadID == "":
		return errors.New("upload_id is missing")
	case e.Name == "":
		return errors.New("name is missing")
	case e.Size < 0:
		return errors.New("size is negative")
	case e.Inline && e.Object != "":
		return errors.New("an inline upload names no object")
	case e.Inline && int64(len(e.Content)) != e.Size:
		return fmt.Errorf("inline content is %d bytes, size says %d", len(e.Content), e.Size)
	case !e.Inline && e.Object == "":
		return errors.New("object is missing")
	case !e.Inline && len(e.Content) > 0:
		return errors.New("content without inline")
	}
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
		return errors.New("sha256 is not 64 hex digits")
	}
	return nil
}

// UploadID is deterministic in tenant, content and name, so resubmitting the
// same file deduplicates at every layer (stream, object, case).
func UploadID(tenant, sha256Hex, name string) string {
	h := sha256.New()
	for _, s := range []string{tenant, sha256Hex, name} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "u" + hex.EncodeToString(h.Sum(nil)[:16])
}

// maxChunk is the object store's default chunk size.
const maxChunk = 128 << 10

// DefaultMaxUploadSize caps one submitted file.
const DefaultMaxUploadSize = 256 << 20

// DefaultInlineMax is the largest file Submit carries inside its event. Most
// logs are this small, and inline they cost one stream write instead of an
// object put (info lookup, chunk, metadata) plus the worker's info lookup
// and chunk reads. Larger files go to the payload bucket, whose chunks keep
// every message well under the server's payload cap.
const DefaultInlineMax = 64 << 10

// eventOverhead bounds the event's JSON and headers around inline content.
const eventOverhead = 2 << 10

// HeaderEvent carries the event JSON of an inline upload, whose body is the file.
const HeaderEvent = "Logtriage-Event"

// eventMessage is the message that publishes ev on its tenant's subject.
func eventMessage(ev UploadEvent) (*nats.Msg, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: UploadSubject(ev.Tenant), Data: body, Header: nats.Header{}}
	if ev.Inline {
		msg.Header.Set(HeaderEvent, string(body))
		msg.Data = ev.Content
	}
	msg.Header.Set(HeaderTenant, ev.Tenant)
	msg.Header.Set(HeaderUploadID, ev.UploadID)
	return msg, nil
}

// eventJSON is the event part of an upload message: the HeaderEvent header
// of an inline upload, else the body. The body of an inline upload is its
// content, which comes back as the second value.
func eventJSON(h nats.Header, body []byte) (event, content []byte) {
	if v := h.Get(HeaderEvent); v != "" {
		return []byte(v), body
	}
	return body, nil
}

// DecodeEvent reads an upload message, inline or not.
func DecodeEvent(h nats.Header, body []byte) (UploadEvent, error) {
	raw, content := eventJSON(h, body)
	var ev UploadEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return ev, err
	}
	ev.Content = content
	return ev, nil
}

// Submission is one file to upload.
type Submission struct {
	Tenant string
	// Name is the file name as the customer sent it; only its base name is kept.
	Name string
	// Content is read once when it goes inline, else twice: once to hash,
	// once to store.
	Content io.ReadSeeker
	// CaseRef is the customer's case number; see also CaseRefFromName.
	CaseRef string
	// MaxSize caps the content; default DefaultMaxUploadSize.
	MaxSize int64
	// InlineMax is the largest content sent inside the event; default
	// DefaultInlineMax, negative always uses the payload bucket. Content whose
	// event would exceed the server's payload cap uses the bucket anyway.
	InlineMax int64
}

// Receipt says what Submit did.
type Receipt struct {
	Event UploadEvent // without Content
	// Duplicate is true when the stream had already seen this upload id.
	Duplicate bool
}

// ErrTooLarge is returned for content over the size cap.
var ErrTooLarge = errors.New("upload exceeds the size cap")

// Submit publishes the upload event, with the content inline when it is
// small, else after storing the content in the payload bucket.
func Submit(ctx context.Context, js jetstream.JetStream, s Submission) (Receipt, error) {
	if err := ValidTenant(s.Tenant); err != nil {
		return Receipt{}, err
	}
	if s.MaxSize <= 0 {
		s.MaxSize = DefaultMaxUploadSize
	}
	if s.InlineMax == 0 {
		s.InlineMax = DefaultInlineMax
	}
	s.InlineMax = min(s.InlineMax, s.MaxSize, js.Conn().MaxPayload()-eventOverhead)
	name := filepath.Base(s.Name)
	if name == "." || name == string(filepath.Separator) {
		return Receipt{}, fmt.Errorf("upload name %q has no file name", s.Name)
	}

	// One read: the head (up to InlineMax+1 bytes) is kept, the rest only hashed.
	h := sha256.New()
	var head []byte
	if s.InlineMax >= 0 {
		var err error
		if head, err = io.ReadAll(io.LimitReader(s.Content, s.InlineMax+1)); err != nil {
			return Receipt{}, fmt.Errorf("read %s: %w", name, err)
		}
		h.Write(head)
	}
	rest, err := io.Copy(h, io.LimitReader(s.Content, s.MaxSize+1-int64(len(head))))
	if err != nil {
		return Receipt{}, fmt.Errorf("read %s: %w", name, err)
	}
	size := int64(len(head)) + rest
	if size > s.MaxSize {
		return Receipt{}, fmt.Errorf("%s: %w of %d bytes", name, ErrTooLarge, s.MaxSize)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	id := UploadID(s.Tenant, sum, name)
	ev := UploadEvent{
		Tenant: s.Tenant, UploadID: id, CaseRef: s.CaseRef, Name: name,
		Size: size, SHA256: sum, SubmittedAt: time.Now().UTC(),
	}
	if s.InlineMax >= 0 && size <= s.InlineMax {
		ev.Inline, ev.Content = true, head
	} else {
		ev.Object = id
		if err := putObject(ctx, js, s, name, id, size, jetstream.GetObjectDigestValue(h)); err != nil {
			return Receipt{}, err
		}
	}

	msg, err := eventMessage(ev)
	if err != nil {
		return Receipt{}, err
	}
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(UploadsStream))
	if err != nil {
		return Receipt{}, fmt.Errorf("publish upload event: %w", err)
	}
	ev.Content = nil
	return Receipt{Event: ev, Duplicate: ack.Duplicate}, nil
}

// chunkSize is the object chunk for a file of size bytes on a server whose
// messages may carry maxPayload bytes (0: unknown).
func chunkSize(size, maxPayload int64) int64 {
	c := min(max(size, 1), maxChunk)
	if maxPayload > eventOverhead {
		c = min(c, maxPayload-eventOverhead)
	}
	return c
}

// putObject stores the content under id unless a resubmission finds it
// already there with the same digest.
func putObject(ctx context.Context, js jetstream.JetStream, s Submission, name, id string, size int64, digest string) error {
	obs, err := js.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		return fmt.Errorf("payload bucket %s (is `logtriage serve` running?): %w", PayloadBucket, err)
	}
	if info, err := obs.GetInfo(ctx, id); err == nil && info.Digest == digest {
		return nil
	}
	if _, err := s.Content.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", name, err)
	}
	meta := jetstream.ObjectMeta{Name: id, Description: name,
		Headers: nats.Header{HeaderTenant: []string{s.Tenant}},
		// The client allocates one chunk buffer per Put: no bigger than the
		// file, nor than a message may be on this server.
		Opts: &jetstream.ObjectMetaOptions{ChunkSize: uint32(chunkSize(size, js.Conn().MaxPayload()))}}
	info, err := obs.Put(ctx, meta, io.LimitReader(s.Content, size))
	if err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	if info.Digest != digest {
		return fmt.Errorf("store %s: the file changed while it was uploaded", name)
	}
	return nil
}
