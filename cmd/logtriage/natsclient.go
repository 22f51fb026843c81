package main

import (
	"flag"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/natsx"
)

// natsFlags are the connection flags submit, cases and alerts share; serve
// adds them too, where an empty URL means "start the embedded server".
type natsFlags struct {
	url, creds, tlsCA, tlsCert, tlsKey string
}

func (f *natsFlags) register(fs *flag.FlagSet, defaultURL string) {
	fs.StringVar(&f.url, "nats-url", envOr("NATS_URL", defaultURL), "NATS server URL (env NATS_URL)")
	fs.StringVar(&f.creds, "nats-creds", os.Getenv("NATS_CREDS"), "NATS credentials file (env NATS_CREDS)")
	fs.StringVar(&f.tlsCA, "nats-tls-ca", "", "PEM CA bundle that signed the NATS server certificate")
	fs.StringVar(&f.tlsCert, "nats-tls-cert", "", "client certificate for mutual TLS (with --nats-tls-key)")
	fs.StringVar(&f.tlsKey, "nats-tls-key", "", "client key for mutual TLS")
}

func (f *natsFlags) connect(name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := natsx.Connect(f.url, natsx.ClientOptions{
		Name: name, Credentials: f.creds, TLSCA: f.tlsCA, TLSCert: f.tlsCert, TLSKey: f.tlsKey,
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

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
