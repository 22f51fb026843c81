package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit/feed"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage/worker"
)

// natsFlags are the connection flags submit, cases and alerts share; serve
// adds them too, where an empty URL means "start the embedded server".
type natsFlags struct {
	url, creds, nkey, tlsCA, tlsCert, tlsKey string
	identity                                 string // the nkey identity's name, for its inbox prefix
}

func (f *natsFlags) register(fs *flag.FlagSet, defaultURL string) {
	fs.StringVar(&f.url, "nats-url", envOr("NATS_URL", defaultURL), "NATS server URL (env NATS_URL)")
	fs.StringVar(&f.creds, "nats-creds", os.Getenv("NATS_CREDS"), "NATS credentials file (env NATS_CREDS)")
	fs.StringVar(&f.nkey, "nats-nkey", os.Getenv("NATS_NKEY"), "NATS nkey seed file (env NATS_NKEY); default: the CLI key serve generates in DATA_DIR/nats/creds")
	fs.StringVar(&f.tlsCA, "nats-tls-ca", "", "PEM CA bundle that signed the NATS server certificate")
	fs.StringVar(&f.tlsCert, "nats-tls-cert", "", "client certificate for mutual TLS (with --nats-tls-key)")
	fs.StringVar(&f.tlsKey, "nats-tls-key", "", "client key for mutual TLS")
}

func (f *natsFlags) connect(name string) (*nats.Conn, jetstream.JetStream, error) {
	nkey, identity := f.nkey, f.identity
	if nkey == "" && f.creds == "" {
		// The embedded server refuses anonymous clients; the local CLI signs
		// in with the key serve generated for it, when this user can read it.
		if p := natsx.Credentials(natsCreds(envOr("LOGTRIAGE_DATA_DIR", "data"))).SeedPath(cliIdentity); fileExists(p) {
			nkey, identity = p, cliIdentity
		}
	} else if nkey != "" && identity == "" {
		identity = strings.TrimSuffix(filepath.Base(nkey), ".nk")
	}
	nc, err := natsx.Connect(f.url, natsx.ClientOptions{
		Name: name, Credentials: f.creds, NkeySeed: nkey, Identity: identity,
		TLSCA: f.tlsCA, TLSCert: f.tlsCert, TLSKey: f.tlsKey,
	})
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// The embedded server's identities: serve's own connections and the local CLI.
const (
	serveIdentity = "logtriage-serve"
	cliIdentity   = "logtriage-cli"
)

func natsCreds(dataDir string) natsx.Credentials {
	return natsx.Credentials{Dir: filepath.Join(dataDir, "nats", "creds")}
}

// natsLayout is the topology the embedded server's permissions are written against.
func natsLayout() natsx.Layout {
	return natsx.Layout{
		UploadsPrefix: worker.UploadsSubjectPrefix, CasesPrefix: worker.CasesSubjectPrefix, AuditPrefix: feed.SubjectPrefix,
		Protected: []string{worker.CasesSubjectPrefix + ">", worker.AlertsSubjectPrefix + ">",
			worker.DoneSubjectPrefix + ">", "logtriage.dlq.>", feed.SubjectPrefix + ">"},
		CasesStream: worker.CasesStream, UploadsStream: worker.UploadsStream, WorkerConsumer: worker.WorkerConsumer,
	}
}

// embeddedNATSAuth makes sure serve's and the CLI's keys exist (0600 under
// the data dir) and returns every identity there as the server's users,
// with serve's own seed file.
func embeddedNATSAuth(dataDir string) (users []*server.NkeyUser, serveSeed string, err error) {
	creds := natsCreds(dataDir)
	for _, id := range []natsx.Identity{{Name: serveIdentity, Role: natsx.RoleService}, {Name: cliIdentity, Role: natsx.RoleOperator}} {
		if _, err := creds.Ensure(id); err != nil {
			return nil, "", fmt.Errorf("NATS credentials: %w", err)
		}
	}
	ids, err := creds.Load()
	if err != nil {
		return nil, "", err
	}
	users, err = natsx.NkeyUsers(ids, natsLayout())
	return users, creds.SeedPath(serveIdentity), err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
