package worker

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// What a killed submit leaves (chunks without an object, an object without
// an event) goes after the grace period; a payload whose event came stays,
// and objects wait while upload events are still pending.
func TestSweepOrphans(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("2026-01-05 10:00:01 ERROR connection refused to db-01\n"), 2000) // > 64 KiB: an object
	kept := e.submit("acme", "big.log", big)                                                     // its event waits: no worker yet

	obs, err := e.js.ObjectStore(ctx, PayloadBucket)
	if err != nil {
		t.Fatal(err)
	}
	const orphanID = "u0000000000000000000000000000000a"
	if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: orphanID, Headers: nats.Header{HeaderTenant: []string{"acme"}}},
		bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	partial := payloadChunkSubject + "KILLEDPUTNUID0000000001"
	for range 3 {
		if _, err := e.js.Publish(ctx, partial, bytes.Repeat([]byte{'x'}, 1024)); err != nil {
			t.Fatal(err)
		}
	}
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }

	res, err := SweepOrphans(ctx, SweepOptions{JS: e.js, Store: e.store})
	if err != nil || res.Objects != 0 || res.ChunkSets != 0 {
		t.Fatalf("sweep within the grace period = %+v, %v; want nothing deleted", res, err)
	}
	res, err = SweepOrphans(ctx, SweepOptions{JS: e.js, Store: e.store, Now: later})
	if err != nil || res.ChunkSets != 1 || res.Chunks != 3 || res.Objects != 0 || res.Skipped == "" {
		t.Fatalf("sweep with an event pending = %+v, %v; want the chunks gone and the objects left", res, err)
	}

	e.startWorker(e.pipeline(nil), nil)
	if out := e.outcome(kept.Event.UploadID); out.Case == nil {
		t.Fatalf("outcome %+v", out)
	}
	e.waitDrained()
	res, err = SweepOrphans(ctx, SweepOptions{JS: e.js, Store: e.store, Now: later})
	if err != nil || res.Objects != 1 || res.ChunkSets != 0 || res.Skipped != "" {
		t.Fatalf("sweep after the backlog drained = %+v, %v; want the orphan object deleted", res, err)
	}
	if _, err := obs.GetInfo(ctx, orphanID); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("orphan object: %v", err)
	}
	if _, err := obs.GetInfo(ctx, kept.Event.UploadID); err != nil {
		t.Errorf("the processed upload's object is gone: %v", err)
	}
	stream, _ := e.js.Stream(ctx, payloadStream)
	if _, err := stream.GetLastMsgForSubject(ctx, partial); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("partial chunks: %v", err)
	}
}
