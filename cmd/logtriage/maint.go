package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage/retention"
	"github.com/logtriage/logtriage/triage/worker"
)

// maintFlags are the settings of the data-lifecycle commands (purge, tenant
// delete, keys rotate): where the data and keys are, as serve has them.
type maintFlags struct {
	dataDir, dbURL, retention string
	nats                      natsFlags
	keys                      keyFlags
}

func (f *maintFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "serve's data dir (env LOGTRIAGE_DATA_DIR)")
	fs.StringVar(&f.dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
	fs.StringVar(&f.retention, "retention", os.Getenv("LOGTRIAGE_RETENTION"), "retention policy JSON (env LOGTRIAGE_RETENTION); the defaults when empty")
	f.nats.register(fs, "")
	f.keys.register(fs)
}

// maintEnv is the store, keys and JetStream a lifecycle command works on.
type maintEnv struct {
	store  *keyedStore
	keys   serviceKeys
	js     jetstream.JetStream // nil when no NATS is reachable from here
	policy retention.Policy
	close  func()
}

// open takes the store (an embedded store must not be held by a running
// serve: the error says so) and JetStream: the given --nats-url, else, on the
// embedded default, the embedded server over DATA_DIR/jetstream, started here
// on a free loopback port with the master key's JetStream key.
func (f *maintFlags) open(ctx context.Context, log *slog.Logger) (*maintEnv, error) {
	keys, err := f.keys.load(f.dataDir, os.Getenv, log, false)
	if err != nil {
		return nil, fmt.Errorf("%w (the keys serve uses: DATA_DIR/keys, or the key settings)", err)
	}
	env := &maintEnv{keys: keys, policy: retention.DefaultPolicy()}
	if f.retention != "" {
		if env.policy, err = retention.Load(f.retention); err != nil {
			return nil, err
		}
	}
	if env.store, err = openKeyedStore(ctx, f.dbURL, f.dataDir, keys); err != nil {
		return nil, err
	}
	closers := []func(){func() { env.store.Close() }}
	env.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var nc *nats.Conn
	switch {
	case f.nats.url != "":
		nc, env.js, err = f.nats.connect("logtriage-maintenance")
	case f.dbURL == "":
		var srv *natsServer
		srv, nc, env.js, err = startEmbeddedNATS(f.dataDir, keys)
		if srv != nil {
			closers = append(closers, srv.Shutdown)
		}
	default:
		log.Warn("no --nats-url: raw uploads in JetStream are not touched (the streams' MaxAge still removes them)")
	}
	if err != nil {
		env.close()
		return nil, err
	}
	if nc != nil {
		closers = append(closers, nc.Close)
	}
	return env, nil
}

// startEmbeddedNATS runs the embedded server over serve's JetStream files.
func startEmbeddedNATS(dataDir string, keys serviceKeys) (*natsServer, *nats.Conn, jetstream.JetStream, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, nil, err
	}
	jsKey, err := keys.jetStreamKey(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, nil // serve never ran its embedded server here: no raw uploads
	}
	if err != nil {
		return nil, nil, nil, err
	}
	srv, err := natsx.StartServer(natsx.ServerOptions{Host: "127.0.0.1", Port: port, StoreDir: filepath.Join(dataDir, "jetstream"), JetStreamKey: jsKey})
	if err != nil {
		return nil, nil, nil, err
	}
	ns := &natsServer{srv}
	nc, err := natsx.Connect(srv.ClientURL(), natsx.ClientOptions{Name: "logtriage-maintenance"})
	if err != nil {
		ns.Shutdown()
		return nil, nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		ns.Shutdown()
		return nil, nil, nil, err
	}
	return ns, nc, js, nil
}

type natsServer struct {
	srv interface {
		Shutdown()
		WaitForShutdown()
	}
}

func (n *natsServer) Shutdown() { n.srv.Shutdown(); n.srv.WaitForShutdown() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// purger is the retention purger over the environment. Its audit events go
// to the store when the store records audit events (nil-safe otherwise).
func (env *maintEnv) purger(actor string) (*retention.Purger, error) {
	o := retention.Options{Policy: env.policy, Store: env.store.Store,
		Actor: audit.Actor{Kind: audit.ActorService, Name: actor}}
	o.Recorder = lifecycleRecorder(env.store.Store, env.policy)
	if env.js != nil {
		o.Payloads = worker.NewPayloads(env.js) // the streams as serve set them up; none yet is nothing to purge
	}
	return retention.New(o)
}

// subcommand checks that args name the one subcommand of a command
// ("keys rotate"); -h alone is a request for the usage, not an error.
func subcommand(args []string, name string, stderr io.Writer, usage string) (code int, ok bool) {
	if len(args) > 0 && args[0] == name {
		return 0, true
	}
	fmt.Fprintln(stderr, usage)
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		return 0, false
	}
	return 2, false
}

// lifecycleRecorder is where purge and tenant-delete events go: the store's
// audit chain when the store keeps audit events (audit.Store), else none
// (the purger is nil-safe).
func lifecycleRecorder(st any, policy retention.Policy) audit.Recorder {
	if rec, ok := st.(audit.Recorder); ok {
		return rec
	}
	if as, ok := st.(audit.Store); ok {
		// Recording needs no signing key; serve's chain signs the checkpoints.
		return audit.NewChain(as, nil, audit.Options{Retention: policy.Default.Audit.D()})
	}
	return nil
}
