package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/retention"
)

var _ retention.Payloads = (*Payloads)(nil)

// Payloads removes raw uploads from JetStream for retention and tenant
// deletion: the upload messages (inline content), their payload objects,
// orphan objects whose event never made it, and dead letters (which carry
// the event, and so the inline content). Messages are deleted securely (the
// server overwrites their bytes in its files rather than marking them).
type Payloads struct {
	js jetstream.JetStream
}

// NewPayloads works on the streams Setup created.
func NewPayloads(js jetstream.JetStream) *Payloads { return &Payloads{js: js} }

// UploadTenants lists the tenants with messages in the uploads stream.
func (p *Payloads) UploadTenants(ctx context.Context) ([]string, error) {
	st, err := p.js.Stream(ctx, UploadsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil // serve never set the streams up here: nothing held
	}
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(UploadsSubjectPrefix+"*"))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		out = append(out, strings.TrimPrefix(subj, UploadsSubjectPrefix))
	}
	sort.Strings(out)
	return out, nil
}

// ExpireUploads walks the tenant's upload messages received before before,
// oldest first (one direct get each), and removes each due one with its
// payload object. Orphan objects and dead letters of the tenant older than
// before are judged the same way (as never processed).
func (p *Payloads) ExpireUploads(ctx context.Context, tenant string, before time.Time, due func(uploadID string, received time.Time) bool, dryRun bool) ([]string, error) {
	st, err := p.js.Stream(ctx, UploadsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	obs, err := p.js.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		return nil, err
	}
	var removed []string
	seen := map[string]bool{}
	subj := UploadSubject(tenant)
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return removed, err
		}
		if !m.Time.Before(before) {
			break // the stream is in time order
		}
		seq = m.Sequence + 1
		id, object := uploadOf(m)
		seen[id] = true
		if !due(id, m.Time) {
			continue
		}
		if !dryRun {
			if object != "" {
				if err := obs.Delete(ctx, object); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
					return removed, fmt.Errorf("delete payload %s: %w", object, err)
				}
			}
			if err := st.SecureDeleteMsg(ctx, m.Sequence); err != nil && !alreadyGone(err) {
				return removed, fmt.Errorf("delete upload message %d: %w", m.Sequence, err)
			}
		}
		removed = append(removed, id)
	}
	// Objects whose event was never published (an intake cut short). Intake
	// publishes the event right after the object, so an object a minute
	// older than before whose event is not among those walked has none.
	orphans, err := p.objects(ctx, obs, tenant, func(info *jetstream.ObjectInfo) bool {
		return !seen[info.Name] && info.ModTime.Before(before.Add(-time.Minute)) && due(info.Name, info.ModTime)
	})
	if err != nil {
		return removed, err
	}
	for _, name := range orphans {
		if !dryRun {
			if err := obs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return removed, err
			}
		}
		removed = append(removed, name)
	}
	// Dead letters carry the event (so the inline content): they go with the
	// window of their upload (failed: incomplete).
	dead, err := p.deleteTenantMsgs(ctx, DLQStream, tenant, before, due, dryRun)
	if err != nil {
		return removed, err
	}
	for _, id := range dead {
		removed = append(removed, "dead-letter:"+id)
	}
	return removed, nil
}

// uploadOf reads the upload id and payload object of an upload message; an
// undecodable event still has the id the publisher set for deduplication.
func uploadOf(m *jetstream.RawStreamMsg) (id, object string) {
	ev, err := DecodeEvent(m.Header, m.Data)
	if err == nil {
		return ev.UploadID, ev.Object
	}
	return m.Header.Get(jetstream.MsgIDHeader), ""
}

// objects lists the tenant's payload objects that keep says to take.
func (p *Payloads) objects(ctx context.Context, obs jetstream.ObjectStore, tenant string, take func(*jetstream.ObjectInfo) bool) ([]string, error) {
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, info := range infos {
		if info.Headers.Get(HeaderTenant) == tenant && take(info) {
			out = append(out, info.Name)
		}
	}
	return out, nil
}

// deleteTenantMsgs deletes the messages of stream carrying the tenant's
// header, received before before (a zero before: all of them) and due (nil:
// all), and returns their upload ids.
func (p *Payloads) deleteTenantMsgs(ctx context.Context, stream, tenant string, before time.Time, due func(string, time.Time) bool, dryRun bool) ([]string, error) {
	st, err := p.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if !before.IsZero() && !m.Time.Before(before) {
			return out, nil
		}
		seq = m.Sequence + 1
		id := m.Header.Get(HeaderUploadID)
		if m.Header.Get(HeaderTenant) != tenant || due != nil && !due(id, m.Time) {
			continue
		}
		if !dryRun {
			if err := st.SecureDeleteMsg(ctx, m.Sequence); err != nil && !alreadyGone(err) {
				return out, err
			}
		}
		out = append(out, id)
	}
}

// DeleteTenantUploads removes every upload message, payload object, dead
// letter, and case, alert and outcome message of the tenant.
func (p *Payloads) DeleteTenantUploads(ctx context.Context, tenant string) (int, error) {
	removed, err := p.ExpireUploads(ctx, tenant, time.Now().Add(24*time.Hour), func(string, time.Time) bool { return true }, false)
	if err != nil {
		return len(removed), err
	}
	// The cases and alerts streams are by queue, not tenant: their headers say whose.
	for _, s := range []string{CasesStream, AlertsStream, DoneStream} {
		if _, err := p.deleteTenantMsgs(ctx, s, tenant, time.Time{}, nil, false); err != nil {
			return len(removed), err
		}
	}
	return len(removed), nil
}

// uploadDeleteAfter is when retention removes the delivery's raw upload.
func (w *Worker) uploadDeleteAfter(d *delivery, st triage.Status) time.Time {
	if w.opts.Retention == nil || d.meta == nil {
		return time.Time{}
	}
	return w.opts.Retention.UploadDeleteAfter(d.ev.Tenant, st, d.meta.Timestamp)
}

// alreadyGone: the message went between reading and deleting it (the
// stream's MaxAge, or another purge). The server says so as a failed
// delete (10057, "no message found"), not as ErrMsgNotFound.
func alreadyGone(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrMsgNotFound) ||
		errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound ||
			apiErr.ErrorCode == 10057 && strings.Contains(apiErr.Description, "no message found"))
}
