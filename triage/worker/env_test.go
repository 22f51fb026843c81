package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// The embedded store writes a case and its final status in one fsync.
var _ caseStatusStore = (*embedded.Store)(nil)

// env is a real NATS server with JetStream in a temp dir, the topology with
// test timings, and an embedded store.
type env struct {
	t        testing.TB
	srv      *server.Server
	nc       *nats.Conn
	js       jetstream.JetStream
	store    *embedded.Store
	storeDir string
	topo     Topology
	key      []byte
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, Topology{AckWait: time.Second, MaxDeliver: 4, Backoff: []time.Duration{}})
}

func newEnvWith(t testing.TB, topo Topology) *env {
	t.Helper()
	return newEnvOn(t, natsx.ServerOptions{}, topo)
}

// newEnvOn runs the server with so (port and store dir are the test's).
func newEnvOn(t testing.TB, so natsx.ServerOptions, topo Topology) *env {
	t.Helper()
	so.Port, so.StoreDir = -1, t.TempDir()
	srv, err := natsx.StartServer(so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	e := &env{t: t, srv: srv, key: []byte("worker-test-fingerprint-key-0123")}
	e.nc, e.js = e.connect()
	e.topo, err = Setup(context.Background(), e.js, topo)
	if err != nil {
		t.Fatal(err)
	}
	e.storeDir = t.TempDir()
	e.store, err = embedded.Open(e.storeDir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	return e
}

func (e *env) connect() (*nats.Conn, jetstream.JetStream) {
	e.t.Helper()
	nc, err := natsx.Connect(e.srv.ClientURL(), natsx.ClientOptions{Name: e.t.Name()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		e.t.Fatal(err)
	}
	return nc, js
}

// pipeline is the real triage pipeline; classifier nil means rules only.
func (e *env) pipeline(classifier triage.Classifier) *triage.Pipeline {
	e.t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: e.key})
	if err != nil {
		e.t.Fatal(err)
	}
	embedder, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{
		Detector:   det,
		Classifier: classifier,
		Rules:      rules.New(router.Default()),
		Router:     router.Default(),
		Embedder:   embedder,
		Store:      e.store,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// runningWorker is a worker on its own connection, so a test can kill it.
type runningWorker struct {
	w      *Worker
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returns
}

func (e *env) startWorker(p Pipeline, mod func(*Options)) *runningWorker {
	e.t.Helper()
	nc, js := e.connect()
	o := Options{JS: js, Pipeline: p, Store: e.store, Workers: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryDelay: func(uint64) time.Duration { return 50 * time.Millisecond }}
	if mod != nil {
		mod(&o)
	}
	w, err := New(context.Background(), o)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rw := &runningWorker{w: w, nc: nc, cancel: cancel, done: make(chan struct{})}
	go func() {
		if err := w.Run(ctx); err != nil {
			e.t.Error(err)
		}
		close(rw.done)
	}()
	e.t.Cleanup(rw.stop)
	return rw
}

// stop is a graceful stop.
func (rw *runningWorker) stop() {
	rw.cancel()
	<-rw.done
}

func (e *env) submit(tenant, name string, content []byte) Receipt {
	e.t.Helper()
	r, err := Submit(context.Background(), e.js, Submission{Tenant: tenant, Name: name, Content: bytes.NewReader(content)})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) outcome(uploadID string) *Outcome {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := WaitOutcome(ctx, e.js, uploadID)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// messages returns every message of stream on subjects matching filter.
func (e *env) messages(stream, filter string) []jetstream.Msg {
	e.t.Helper()
	ctx := context.Background()
	cons, err := e.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []jetstream.Msg
	for {
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			e.t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			out = append(out, m)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

func (e *env) status(tenant, uploadID string) triage.Status {
	st, err := e.store.GetStatus(context.Background(), tenant, uploadID)
	if errors.Is(err, triage.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Status
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gate is a classifier that blocks until released (then answers like the
// rules) or until its context ends, to hold an upload mid-pipeline.
type gate struct {
	rules   triage.Classifier
	entered chan struct{}
	once    sync.Once
	release chan struct{}
}

func newGate() *gate {
	return &gate{rules: rules.New(router.Default()), entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) Classify(ctx context.Context, in triage.ClassifyInput) (triage.Classification, error) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.release:
		return g.rules.Classify(ctx, in)
	case <-ctx.Done():
		return triage.Classification{}, ctx.Err()
	}
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}
