package feed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logtriage/logtriage/audit"
)

// Headers of a webhook delivery. The signature covers the timestamp and the
// body ("<timestamp>.<body>"), so a captured delivery cannot be replayed
// later with a new timestamp; receivers refuse old timestamps.
const (
	HeaderSignature = "X-Logtriage-Signature" // "sha256=<hex HMAC-SHA256>"
	HeaderTimestamp = "X-Logtriage-Timestamp" // unix seconds
	HeaderEventID   = "X-Logtriage-Event-Id"
)

// Target is one tenant's webhook.
type Target struct {
	Tenant string
	URL    string
	Secret []byte // shared with the receiver; at least 16 bytes
}

// WebhookOptions tune delivery.
type WebhookOptions struct {
	Client     *http.Client // default: 10 s timeout
	QueueSize  int          // events waiting per target; default 1000 (then dropped and counted)
	MaxRetries int          // per event after the first try, on 5xx/429/network errors; default 3
	Backoff    time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// Webhook delivers each tenant's events, in order, to its targets.
type Webhook struct {
	opts    WebhookOptions
	targets map[string][]*target
	wg      sync.WaitGroup
	closed  atomic.Bool
}

type target struct {
	Target
	queue     chan audit.Event
	delivered atomic.Int64
	dropped   atomic.Int64
}

var _ audit.Publisher = (*Webhook)(nil)

// NewWebhook starts one sender per target.
func NewWebhook(targets []Target, o WebhookOptions) (*Webhook, error) {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	} else if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	w := &Webhook{opts: o, targets: map[string][]*target{}}
	for _, t := range targets {
		if t.Tenant == "" || t.URL == "" {
			return nil, errors.New("webhook target needs a tenant and a URL")
		}
		if len(t.Secret) < 16 {
			return nil, fmt.Errorf("webhook target of %s: the secret must be at least 16 bytes", t.Tenant)
		}
		tg := &target{Target: t, queue: make(chan audit.Event, o.QueueSize)}
		w.targets[t.Tenant] = append(w.targets[t.Tenant], tg)
		w.wg.Add(1)
		go w.send(tg)
	}
	return w, nil
}

// Publish queues e for its tenant's targets, never blocking.
func (w *Webhook) Publish(e audit.Event) {
	if w.closed.Load() {
		return
	}
	for _, t := range w.targets[e.Tenant] {
		select {
		case t.queue <- e:
		default:
			t.dropped.Add(1)
		}
	}
}

// Close stops accepting events, delivers what is queued (until ctx ends) and returns.
func (w *Webhook) Close(ctx context.Context) {
	if w.closed.Swap(true) {
		return
	}
	for _, ts := range w.targets {
		for _, t := range ts {
			close(t.queue)
		}
	}
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Counts returns delivered and dropped events of a tenant's targets.
func (w *Webhook) Counts(tenant string) (delivered, dropped int64) {
	for _, t := range w.targets[tenant] {
		delivered += t.delivered.Load()
		dropped += t.dropped.Load()
	}
	return
}

func (w *Webhook) send(t *target) {
	defer w.wg.Done()
	for e := range t.queue {
		body, err := json.Marshal(e)
		if err != nil {
			t.dropped.Add(1)
			continue
		}
		if w.deliver(t, e.ID, body) {
			t.delivered.Add(1)
		} else {
			t.dropped.Add(1)
		}
	}
}

func (w *Webhook) deliver(t *target, id string, body []byte) bool {
	for attempt := 0; attempt <= w.opts.MaxRetries; attempt++ {
		if attempt > 0 {
			time.Sleep(w.opts.Backoff << (attempt - 1))
		}
		ts := strconv.FormatInt(w.opts.Now().Unix(), 10)
		req, err := http.NewRequest(http.MethodPost, t.URL, bytes.NewReader(body))
		if err != nil {
			w.opts.Log.Error("audit webhook: bad URL", "tenant", t.Tenant, "err", err)
			return false
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderEventID, id)
		req.Header.Set(HeaderSignature, Sign(t.Secret, ts, body))
		resp, err := w.opts.Client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return true
			}
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				w.opts.Log.Warn("audit webhook refused", "tenant", t.Tenant, "status", resp.StatusCode)
				return false
			}
		}
	}
	w.opts.Log.Warn("audit webhook: giving up on an event; it stays in the trail and the export", "tenant", t.Tenant, "event", id)
	return false
}

// Sign is the signature header value for a delivery.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify is the receiver's check: the signature matches (in constant time)
// and the timestamp is within tolerance of now.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook: malformed timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside the tolerance (a replay?)")
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return errors.New("webhook: signature does not match")
	}
	return nil
}
