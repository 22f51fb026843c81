// Package worker is the NATS JetStream shell around the triage pipeline: it
// pulls upload events, runs the pipeline on the stored payload, persists the
// case, publishes it to its queue (and a PII alert when the router asks for
// one), then acks. It also holds the intake side (Submit) and the readers
// support agents and the security team use (cases, alerts).
package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/breaker"
	"github.com/logtriage/logtriage/triage"
)

// Pipeline is the triage pipeline as the worker uses it; *triage.Pipeline
// implements it.
type Pipeline interface {
	Run(ctx context.Context, in triage.Input) (*triage.Case, *triage.Embedding, error)
}

var _ Pipeline = (*triage.Pipeline)(nil)

// Options configure a Worker. JS, Pipeline and Store are required.
type Options struct {
	JS       jetstream.JetStream
	Pipeline Pipeline
	Store    triage.Store
	// Workers is the number of uploads processed concurrently; default 1.
	Workers int
	// AlertSubject is where PII alerts go; default DefaultAlertSubject.
	AlertSubject string
	// Heartbeat is how often a slow upload tells the server it is still being
	// worked on; default a third of the consumer's ack wait.
	Heartbeat time.Duration
	// RetryDelay is the nak delay after a transient error on the given
	// delivery (1-based); default 2s doubling up to 1m. With a consumer
	// backoff the server adds Backoff[n-1]-AckWait to it (see RetryGap).
	RetryDelay func(delivery uint64) time.Duration
	// ShutdownGrace is how long in-flight uploads may run after Run's context
	// ends before their contexts are cancelled; default 30s.
	ShutdownGrace time.Duration
	// Breakers are the LLM endpoints' circuit breakers, shown in /readyz
	// (degraded while one is open) and /metrics.
	Breakers []*breaker.Breaker
	Logger   *slog.Logger // default slog.Default()
	Metrics  *Metrics     // default a fresh one; see (*Worker).Metrics
	// Retention stamps delete_after on cases and statuses; nil leaves it empty.
	Retention triage.Retention

	// Audit records the worker's accesses to tenant data (audit.go).
	Audit AuditOptions
}

// Worker consumes the uploads stream with the shared durable consumer.
type Worker struct {
	opts       Options
	cons       jetstream.Consumer
	obs        jetstream.ObjectStore
	uploads    jetstream.Stream
	payloads   jetstream.Stream
	maxDeliver int
	ackWait    time.Duration
	backoff    []time.Duration
	running    atomic.Bool
}

// New looks up the consumer and the payload bucket that Setup created.
func New(ctx context.Context, o Options) (*Worker, error) {
	if o.JS == nil || o.Pipeline == nil || o.Store == nil {
		return nil, errors.New("worker: JS, Pipeline and Store are required")
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.AlertSubject == "" {
		o.AlertSubject = DefaultAlertSubject
	}
	if o.RetryDelay == nil {
		o.RetryDelay = defaultRetryDelay
	}
	if o.ShutdownGrace == 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	uploads, err := o.JS.Stream(ctx, UploadsStream)
	if err != nil {
		return nil, fmt.Errorf("worker: stream %s (run Setup first): %w", UploadsStream, err)
	}
	cons, err := uploads.Consumer(ctx, WorkerConsumer)
	if err != nil {
		return nil, fmt.Errorf("worker: consumer %s: %w", WorkerConsumer, err)
	}
	obs, err := o.JS.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		return nil, fmt.Errorf("worker: payload bucket %s: %w", PayloadBucket, err)
	}
	payloads, err := o.JS.Stream(ctx, payloadStream)
	if err != nil {
		return nil, fmt.Errorf("worker: payload stream %s: %w", payloadStream, err)
	}
	cfg := cons.CachedInfo().Config
	if o.Heartbeat == 0 {
		o.Heartbeat = max(cfg.AckWait/3, 100*time.Millisecond)
	}
	return &Worker{opts: o, cons: cons, obs: obs, uploads: uploads, payloads: payloads, maxDeliver: cfg.MaxDeliver,
		ackWait: cfg.AckWait, backoff: cfg.BackOff}, nil
}

func defaultRetryDelay(delivery uint64) time.Duration {
	d := 2 * time.Second
	for i := uint64(1); i < delivery && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// RetryGap is how long after a nak with delay on the given delivery
// (1-based) the server delivers again. A consumer with a backoff measures a
// nak's delay from "now minus the ack wait" against the backoff entry of
// the delivery instead of the ack wait (nats-server's processNak and
// checkPending), so it adds Backoff[n-1]-AckWait to the delay: with the
// defaults (2s doubling; 30s, 1m, 2m, 5m) the gaps are 2s, 34s, 98s, 286s.
// A nak without delay is redelivered at once either way.
func RetryGap(delay time.Duration, delivery uint64, ackWait time.Duration, backoff []time.Duration) time.Duration {
	if delay <= 0 || len(backoff) == 0 || delivery == 0 {
		return delay
	}
	i := min(int(delivery-1), len(backoff)-1)
	return delay + backoff[i] - ackWait
}

// Metrics returns the counters the worker updates.
func (w *Worker) Metrics() *Metrics { return w.opts.Metrics }

// Running reports whether Run is fetching uploads (readiness).
func (w *Worker) Running() bool { return w.running.Load() }

// Run processes uploads until ctx ends, then stops fetching and lets in-flight
// uploads finish (up to ShutdownGrace) before returning. Nothing is acked
// that was not persisted and published, so an interrupted upload is simply
// redelivered to the next worker.
func (w *Worker) Run(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	w.running.Store(true)
	defer w.running.Store(false)

	advisories, err := w.watchMaxDeliveries(workCtx)
	if err != nil {
		return err
	}
	defer advisories.Unsubscribe()

	var wg sync.WaitGroup
	for range w.opts.Workers {
		wg.Go(func() { w.loop(ctx, workCtx) })
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	w.running.Store(false)
	grace := time.NewTimer(w.opts.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		w.opts.Logger.Warn("shutdown grace over; abandoning in-flight uploads to redelivery")
		cancelWork()
		<-finished
	}
	return nil
}

// loop takes uploads from its own pull iterator, which asks the server for
// the next upload only when this worker is free (its buffer is one message,
// refilled on Next): no upload waits inside a busy worker with its ack wait
// running out. When stop ends, the iterator stops pulling and an upload that
// arrives anyway is handed back at once for another worker.
func (w *Worker) loop(stop, work context.Context) {
	for stop.Err() == nil {
		iter, err := w.cons.Messages(jetstream.PullMaxMessages(1))
		if err != nil {
			w.pause(stop, "pull", err)
			continue
		}
		drain := context.AfterFunc(stop, iter.Drain)
		for {
			m, err := iter.Next()
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				break
			}
			if err != nil {
				w.pause(stop, "pull", err)
				continue
			}
			if stop.Err() != nil {
				m.Nak()
				continue
			}
			w.handle(work, m)
		}
		drain()
		iter.Stop()
	}
}

// pause keeps a broken connection from turning the loop into a busy spin.
func (w *Worker) pause(stop context.Context, op string, err error) {
	if stop.Err() != nil {
		return
	}
	w.opts.Logger.Warn("worker: retrying", "op", op, "err", err)
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-stop.Done():
	case <-t.C:
	}
}

// delivery is one upload being handled.
type delivery struct {
	msg     jetstream.Msg
	meta    *jetstream.MsgMetadata
	ev      UploadEvent
	picked  time.Time
	lastTry bool // the consumer's MaxDeliver allows no further delivery
}

func (w *Worker) handle(ctx context.Context, m jetstream.Msg) {
	d := &delivery{msg: m, picked: time.Now()}
	meta, err := m.Metadata()
	if err != nil {
		// Not a JetStream delivery; nothing to ack.
		w.opts.Logger.Error("worker: message without metadata", "subject", m.Subject(), "err", err)
		return
	}
	d.meta = meta
	d.lastTry = w.maxDeliver > 0 && meta.NumDelivered >= uint64(w.maxDeliver)
	w.opts.Metrics.inFlight.Add(1)
	defer w.opts.Metrics.inFlight.Add(-1)
	if meta.NumDelivered > 1 {
		w.opts.Metrics.redelivered.Add(1)
	} else {
		w.opts.Metrics.queueWait.observe(d.picked.Sub(meta.Timestamp).Seconds())
	}

	raw, content := eventJSON(m.Headers(), m.Data())
	if err := json.Unmarshal(raw, &d.ev); err != nil {
		w.deadLetter(ctx, d, "bad_event", fmt.Sprintf("upload event is not JSON: %v", err))
		return
	}
	d.ev.Content = content
	d.ev = completeEvent(d.ev)
	if err := d.ev.Validate(); err != nil {
		w.deadLetter(ctx, d, "bad_event", err.Error())
		return
	}
	if subjectTenant(m.Subject()) != d.ev.Tenant {
		w.deadLetter(ctx, d, "bad_event", fmt.Sprintf("event for tenant %q published on %s", d.ev.Tenant, m.Subject()))
		return
	}
	if w.finishedBefore(ctx, d) {
		return
	}
	stopBeats := w.heartbeat(m)
	defer stopBeats()
	w.process(ctx, d)
}

// process runs a valid upload through the pipeline, persists and publishes
// its case, then acks.
func (w *Worker) process(ctx context.Context, d *delivery) {
	if d.meta.NumDelivered == 1 {
		w.setStatus(ctx, d, triage.StatusPending, "", "")
	}
	obj, reason, err := w.openPayload(ctx, d.ev)
	if err != nil {
		if reason != "" {
			w.deadLetter(ctx, d, reason, err.Error())
		} else {
			w.retry(ctx, d, err)
		}
		return
	}
	w.setStatus(ctx, d, triage.StatusProcessing, "", "")

	start := time.Now()
	c, emb, err := w.opts.Pipeline.Run(ctx, triage.Input{
		Tenant:  d.ev.Tenant,
		Upload:  triage.Upload{ID: d.ev.UploadID, Name: d.ev.Name, SHA256: d.ev.SHA256, Size: d.ev.Size},
		Content: obj,
	})
	pipeDur := time.Since(start)
	w.opts.Metrics.pipeline.observe(pipeDur.Seconds())
	if err != nil {
		w.failed(ctx, d, err)
		return
	}
	if c.CaseRef == "" {
		c.CaseRef = d.ev.CaseRef
	}
	c.Timings.QueueWaitMS = float64(d.picked.Sub(d.meta.Timestamp).Microseconds()) / 1000
	if err := w.recordAccess(ctx, d, c); err != nil {
		w.retry(ctx, d, err)
		return
	}
	if err := w.persist(ctx, d, c, emb); err != nil {
		w.retry(ctx, d, err)
		return
	}
	if err := w.publish(ctx, d, c); err != nil {
		w.retry(ctx, d, err)
		return
	}
	w.ack(d, c)
}

// caseStatusStore is implemented by stores that write a case and its
// upload's final status in one durable step (the embedded store: one log
// line, one fsync).
type caseStatusStore interface {
	PutCaseWithStatus(ctx context.Context, c *triage.Case, emb *triage.Embedding, st triage.UploadStatus) error
}

// persist stores the case, then the upload's final status, which names it.
func (w *Worker) persist(ctx context.Context, d *delivery, c *triage.Case, emb *triage.Embedding) error {
	st := triage.UploadStatus{Tenant: d.ev.Tenant, UploadID: d.ev.UploadID, CaseID: c.ID, Status: c.Status, Reason: c.StatusReason,
		DeleteAfter: w.uploadDeleteAfter(d, c.Status)}
	if r := w.opts.Retention; r != nil {
		c.DeleteAfter = r.CaseDeleteAfter(c.Tenant, c.CreatedAt)
	}
	if cs, ok := w.opts.Store.(caseStatusStore); ok {
		if err := cs.PutCaseWithStatus(ctx, c, emb, st); err != nil {
			return fmt.Errorf("persist case: %w", err)
		}
		w.recordHistory(ctx, c)
		return nil
	}
	if err := w.opts.Store.PutCase(ctx, c, emb); err != nil {
		return fmt.Errorf("persist case: %w", err)
	}
	w.setStatus(ctx, d, st.Status, st.CaseID, st.Reason)
	w.recordHistory(ctx, c)
	return nil
}

// recordHistory adds the upload to its tenant's anomaly history once its
// case is stored. Like the status it is bookkeeping: on failure the next
// upload is compared without this one. Idempotent by upload id.
func (w *Worker) recordHistory(ctx context.Context, c *triage.Case) {
	hs, ok := w.opts.Store.(triage.HistoryStore)
	if !ok || c.HistorySummary == nil {
		return
	}
	if err := hs.RecordHistory(ctx, c.Tenant, *c.HistorySummary); err != nil {
		w.opts.Logger.Warn("worker: anomaly history not recorded", "tenant", c.Tenant, "case_id", c.ID, "err", err)
	}
}

// publish sends the case (and its alert), then the outcome: whoever acts on
// the outcome finds the case in its stream.
func (w *Worker) publish(ctx context.Context, d *delivery, c *triage.Case) error {
	body, err := json.Marshal(c)
	if err != nil {
		return triage.Internal("publish", err)
	}
	if err := w.publishCase(ctx, c, body); err != nil {
		return err
	}
	return w.publishOutcome(ctx, d, c, body)
}

// completeEvent fills what a minimal producer may leave out.
func completeEvent(ev UploadEvent) UploadEvent {
	if ev.UploadID == "" && ev.SHA256 != "" {
		ev.UploadID = UploadID(ev.Tenant, ev.SHA256, ev.Name)
	}
	if !ev.Inline && ev.Object == "" {
		ev.Object = ev.UploadID
	}
	return ev
}

// finishedBefore handles a redelivery (or a late duplicate event) of an
// upload whose case is already persisted: it republishes (the streams drop
// the duplicates) and acks, without running the pipeline again.
func (w *Worker) finishedBefore(ctx context.Context, d *delivery) bool {
	st, err := w.opts.Store.GetStatus(ctx, d.ev.Tenant, d.ev.UploadID)
	if err != nil || st.CaseID == "" || (st.Status != triage.StatusTriaged && st.Status != triage.StatusQuarantined) {
		return false
	}
	c, err := w.opts.Store.GetCase(ctx, d.ev.Tenant, st.CaseID)
	if err != nil {
		return false
	}
	if err := w.publish(ctx, d, c); err != nil {
		w.retry(ctx, d, err)
		return true
	}
	w.ack(d, c)
	return true
}

// failed routes a pipeline error by its kind.
func (w *Worker) failed(ctx context.Context, d *delivery, err error) {
	kind := triage.KindOf(err)
	w.opts.Metrics.failures.inc(kind.String())
	if kind == triage.KindInvalid {
		w.deadLetter(ctx, d, "invalid", err.Error())
		return
	}
	w.retry(ctx, d, err)
}

// retry naks for another delivery, or dead-letters on the last one so the
// upload never just stops being delivered.
func (w *Worker) retry(ctx context.Context, d *delivery, err error) {
	log := w.opts.Logger.With("tenant", d.ev.Tenant, "upload_id", d.ev.UploadID, "delivery", d.meta.NumDelivered)
	if ctx.Err() != nil {
		// Shutting down: hand the upload straight to another worker.
		log.Warn("worker: abandoned on shutdown", "err", err)
		d.msg.Nak()
		return
	}
	if d.lastTry {
		w.deadLetter(ctx, d, "max_deliveries", fmt.Sprintf("gave up after %d deliveries: %v", d.meta.NumDelivered, err))
		return
	}
	delay := time.Duration(0)
	if triage.KindOf(err) == triage.KindTransient {
		delay = w.opts.RetryDelay(d.meta.NumDelivered)
	}
	log.Warn("worker: will retry", "err", err, "kind", triage.KindOf(err).String(), "delay", delay,
		"next_delivery_in", RetryGap(delay, d.meta.NumDelivered, w.ackWait, w.backoff))
	if nerr := d.msg.NakWithDelay(delay); nerr != nil {
		log.Warn("worker: nak failed; the server redelivers after the ack wait", "err", nerr)
	}
}

// heartbeat keeps the delivery from timing out while the pipeline (or the
// LLM behind it) is slow. The returned func stops it.
func (w *Worker) heartbeat(m jetstream.Msg) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				m.InProgress()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (w *Worker) setStatus(ctx context.Context, d *delivery, st triage.Status, caseID, reason string) {
	if err := w.opts.Store.SetStatus(ctx, triage.UploadStatus{
		Tenant: d.ev.Tenant, UploadID: d.ev.UploadID, CaseID: caseID, Status: st, Reason: reason,
		DeleteAfter: w.uploadDeleteAfter(d, st),
	}); err != nil {
		// The status is bookkeeping; the case and the streams are the record.
		w.opts.Logger.Warn("worker: status not recorded", "upload_id", d.ev.UploadID, "status", st, "err", err)
	}
}

// publishCase publishes the case (body is its JSON) and its alert,
// idempotent by case id.
func (w *Worker) publishCase(ctx context.Context, c *triage.Case, body []byte) error {
	queue := c.Queue
	if queue == "" {
		queue = "unrouted"
	}
	msgs := []*nats.Msg{caseMsg(CaseSubject(queue), c, body, c.ID)}
	if c.Alerted {
		alert, err := json.Marshal(triage.Alert{CaseID: c.ID, Tenant: c.Tenant, Upload: c.Upload,
			Risk: c.PIIRisk, Findings: c.Findings, Time: c.CreatedAt})
		if err != nil {
			return triage.Internal("publish", err)
		}
		msgs = append(msgs, caseMsg(w.opts.AlertSubject, c, alert, "alert-"+c.ID))
	}
	if a, ok := triage.AnomalyAlertFor(c, c.CreatedAt); ok {
		alert, err := json.Marshal(a)
		if err != nil {
			return triage.Internal("publish", err)
		}
		msgs = append(msgs, caseMsg(AnomalyAlertSubject, c, alert, "anomaly-alert-"+c.ID))
	}
	return w.publishAll(ctx, msgs)
}

// publishOutcome tells `submit --wait` the upload is done. It goes out after
// the case is in its stream and the status is final, so whoever acts on the
// outcome finds both. caseJSON is the case already encoded for its queue.
func (w *Worker) publishOutcome(ctx context.Context, d *delivery, c *triage.Case, caseJSON []byte) error {
	outcome, err := json.Marshal(outcomeJSON{UploadID: d.ev.UploadID, Tenant: c.Tenant, Status: c.Status,
		Reason: c.StatusReason, Case: caseJSON})
	if err != nil {
		return triage.Internal("publish", err)
	}
	return w.publishAll(ctx, []*nats.Msg{caseMsg(DoneSubject(d.ev.UploadID), c, outcome, "done-"+c.ID)})
}

func caseMsg(subject string, c *triage.Case, body []byte, msgID string) *nats.Msg {
	m := &nats.Msg{Subject: subject, Data: body, Header: nats.Header{}}
	m.Header.Set(HeaderTenant, c.Tenant)
	m.Header.Set(HeaderCaseID, c.ID)
	m.Header.Set(HeaderUploadID, c.Upload.ID)
	m.Header.Set(HeaderStatus, string(c.Status))
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	return m
}

// publishAll publishes concurrently and waits for every stream ack.
func (w *Worker) publishAll(ctx context.Context, msgs []*nats.Msg) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := w.opts.JS.PublishMsgAsync(m)
		if err != nil {
			return triage.Transient("publish", fmt.Errorf("%s: %w", m.Subject, err))
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return triage.Transient("publish", fmt.Errorf("%s: %w", f.Msg().Subject, err))
		case <-ctx.Done():
			return triage.Transient("publish", ctx.Err())
		case <-timeout.C:
			return triage.Transient("publish", fmt.Errorf("%s: no stream ack", f.Msg().Subject))
		}
	}
	return nil
}

func (w *Worker) ack(d *delivery, c *triage.Case) {
	log := w.opts.Logger.With("tenant", c.Tenant, "upload_id", d.ev.UploadID, "case_id", c.ID,
		"status", c.Status, "queue", c.Queue, "priority", c.Priority)
	if err := d.msg.Ack(); err != nil {
		// Persisted and published already; a redelivery takes the short path.
		log.Warn("worker: ack failed", "err", err)
		return
	}
	w.opts.Metrics.processed.inc(string(c.Status))
	w.opts.Metrics.classified.inc(classifierLabel(c.Classifier))
	switch {
	case c.Embedder.FallbackReason != "":
		w.opts.Metrics.embedded.inc("fallback")
	case c.Embedder.ID != "":
		w.opts.Metrics.embedded.inc("configured")
	}
	w.opts.Metrics.promptTokens.Add(int64(c.Classifier.Tokens.Prompt + c.Classifier.PIITokens.Prompt))
	w.opts.Metrics.completionTokens.Add(int64(c.Classifier.Tokens.Completion + c.Classifier.PIITokens.Completion))
	total := time.Since(d.meta.Timestamp)
	w.opts.Metrics.latency.observe(total.Seconds())
	log.Info("worker: case done", "alerted", c.Alerted, "total_ms", total.Milliseconds())
}

func classifierLabel(ci triage.ClassifierInfo) string {
	switch {
	case ci.FallbackReason != "":
		return "rules_fallback"
	case ci.Kind == "":
		return "none"
	}
	return ci.Kind
}

// Outcome is published on DoneSubject when an upload is finished, either way.
type Outcome struct {
	UploadID string        `json:"upload_id"`
	Tenant   string        `json:"tenant"`
	Status   triage.Status `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Case     *triage.Case  `json:"case,omitempty"`
}

// outcomeJSON encodes like Outcome, with the case already encoded.
type outcomeJSON struct {
	UploadID string          `json:"upload_id"`
	Tenant   string          `json:"tenant"`
	Status   triage.Status   `json:"status"`
	Reason   string          `json:"reason,omitempty"`
	Case     json.RawMessage `json:"case,omitempty"`
}

// DeadLetter is the body of a message on DLQSubject.
type DeadLetter struct {
	Reason     string    `json:"reason"` // a code: bad_event, missing_object, invalid, max_deliveries, ...
	Detail     string    `json:"detail"`
	Tenant     string    `json:"tenant,omitempty"`
	UploadID   string    `json:"upload_id,omitempty"`
	Subject    string    `json:"subject"`
	StreamSeq  uint64    `json:"stream_seq"`
	Deliveries uint64    `json:"deliveries"`
	Time       time.Time `json:"time"`
	// Event is the original event when it was JSON (never an inline upload's
	// content); else EventB64 holds its first bytes.
	Event    json.RawMessage `json:"event,omitempty"`
	EventB64 string          `json:"event_b64,omitempty"`
}

const maxDeadEventBytes = 4 << 10

// deadEvent is what a dead letter keeps of the event: its JSON, never an
// inline upload's content (raw, unredacted log data stays out of the
// dead-letter stream, also when a producer put it in the JSON), or else the
// first bytes of what arrived.
func deadEvent(h nats.Header, body []byte) (json.RawMessage, string) {
	raw, _ := eventJSON(h, body)
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil && fields != nil {
		if _, ok := fields["content"]; ok {
			delete(fields, "content")
			if stripped, err := json.Marshal(fields); err == nil {
				raw = stripped
			}
		}
		if len(raw) <= maxDeadEventBytes {
			return raw, ""
		}
	}
	return nil, base64.StdEncoding.EncodeToString(raw[:min(len(raw), maxDeadEventBytes)])
}

// deadLetter parks the upload with its reason, marks it failed and
// terminates the delivery; if the dead letter cannot be published, the
// upload is retried instead of dropped.
func (w *Worker) deadLetter(ctx context.Context, d *delivery, reason, detail string) {
	dl := DeadLetter{
		Reason: reason, Detail: detail, Tenant: d.ev.Tenant, UploadID: d.ev.UploadID,
		Subject: d.msg.Subject(), StreamSeq: d.meta.Sequence.Stream, Deliveries: d.meta.NumDelivered,
		Time: time.Now().UTC(),
	}
	if dl.UploadID == "" {
		dl.UploadID = d.msg.Headers().Get(jetstream.MsgIDHeader)
	}
	// The subject's tenant is the one the publisher was allowed to write as.
	if t := subjectTenant(d.msg.Subject()); ValidTenant(t) == nil {
		dl.Tenant = t
	}
	dl.Event, dl.EventB64 = deadEvent(d.msg.Headers(), d.msg.Data())
	if err := w.publishDeadLetter(ctx, dl); err != nil {
		w.opts.Logger.Warn("worker: dead letter not published; retrying the upload", "err", err)
		d.msg.NakWithDelay(w.opts.RetryDelay(d.meta.NumDelivered))
		return
	}
	w.markFailed(ctx, dl)
	if err := d.msg.TermWithReason(reason); err != nil {
		w.opts.Logger.Warn("worker: term failed", "err", err)
	}
	w.opts.Logger.Warn("worker: dead-lettered", "tenant", dl.Tenant, "upload_id", dl.UploadID,
		"reason", reason, "detail", detail)
}

func (w *Worker) publishDeadLetter(ctx context.Context, dl DeadLetter) error {
	body, err := json.Marshal(dl)
	if err != nil {
		return err
	}
	m := &nats.Msg{Subject: DLQSubject, Data: body, Header: nats.Header{}}
	m.Header.Set(HeaderReason, dl.Reason)
	m.Header.Set(HeaderDetail, truncate(dl.Detail, 512))
	if dl.Tenant != "" {
		m.Header.Set(HeaderTenant, dl.Tenant)
	}
	if dl.UploadID != "" {
		m.Header.Set(HeaderUploadID, dl.UploadID)
	}
	// One dead letter per stream message, however many workers try.
	_, err = w.opts.JS.PublishMsg(ctx, m, jetstream.WithMsgID("dlq-"+strconv.FormatUint(dl.StreamSeq, 10)))
	if err == nil {
		w.opts.Metrics.deadLettered.inc(dl.Reason)
	}
	return err
}

func subjectTenant(subject string) string {
	return strings.TrimPrefix(subject, UploadsSubjectPrefix)
}

// ValidUploadID reports whether id can be a subject token.
func ValidUploadID(id string) bool { return id != "" && SubjectToken(id) == id && len(id) <= 128 }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// watchMaxDeliveries dead-letters uploads the server stopped delivering
// because a worker died on their last delivery: without this they would sit
// in the stream with no status and no dead letter.
func (w *Worker) watchMaxDeliveries(ctx context.Context) (*nats.Subscription, error) {
	subject := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + UploadsStream + "." + WorkerConsumer
	return w.opts.JS.Conn().Subscribe(subject, func(m *nats.Msg) {
		var adv struct {
			StreamSeq  uint64 `json:"stream_seq"`
			Deliveries uint64 `json:"deliveries"`
		}
		if err := json.Unmarshal(m.Data, &adv); err != nil || adv.StreamSeq == 0 {
			return
		}
		raw, err := w.uploads.GetMsg(ctx, adv.StreamSeq)
		if err != nil {
			w.opts.Logger.Warn("worker: max-deliveries advisory for a message no longer in the stream", "seq", adv.StreamSeq)
			return
		}
		dl := DeadLetter{Reason: "max_deliveries", Detail: fmt.Sprintf("not acked after %d deliveries", adv.Deliveries),
			Subject: raw.Subject, StreamSeq: adv.StreamSeq, Deliveries: adv.Deliveries, Time: time.Now().UTC()}
		if ev, err := DecodeEvent(raw.Header, raw.Data); err == nil {
			ev = completeEvent(ev)
			dl.Tenant, dl.UploadID = ev.Tenant, ev.UploadID
		}
		dl.Event, dl.EventB64 = deadEvent(raw.Header, raw.Data)
		if err := w.publishDeadLetter(ctx, dl); err != nil {
			w.opts.Logger.Warn("worker: dead letter not published", "seq", adv.StreamSeq, "err", err)
			return
		}
		w.markFailed(ctx, dl)
	})
}

// markFailed records a dead-lettered upload as failed and tells `submit
// --wait`, when the upload can be named at all.
func (w *Worker) markFailed(ctx context.Context, dl DeadLetter) {
	if dl.Tenant == "" || dl.UploadID == "" {
		return
	}
	// A broken late copy of an event does not undo its upload's case.
	if st, err := w.opts.Store.GetStatus(ctx, dl.Tenant, dl.UploadID); err == nil && st.CaseID != "" &&
		(st.Status == triage.StatusTriaged || st.Status == triage.StatusQuarantined) {
		w.opts.Logger.Warn("worker: dead letter for an upload already finished; its case stands", "upload_id", dl.UploadID, "case_id", st.CaseID)
		return
	}
	reason := dl.Reason + ": " + dl.Detail
	if err := w.opts.Store.SetStatus(ctx, triage.UploadStatus{Tenant: dl.Tenant, UploadID: dl.UploadID,
		Status: triage.StatusFailed, Reason: reason}); err != nil {
		w.opts.Logger.Warn("worker: status not recorded", "upload_id", dl.UploadID, "status", triage.StatusFailed, "err", err)
	}
	if !ValidUploadID(dl.UploadID) {
		return
	}
	outcome, err := json.Marshal(Outcome{UploadID: dl.UploadID, Tenant: dl.Tenant, Status: triage.StatusFailed, Reason: reason})
	if err == nil {
		_, err = w.opts.JS.Publish(ctx, DoneSubject(dl.UploadID), outcome)
	}
	if err != nil {
		w.opts.Logger.Warn("worker: outcome not published", "upload_id", dl.UploadID, "err", err)
	}
}
