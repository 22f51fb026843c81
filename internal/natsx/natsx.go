// Package natsx starts the embedded NATS server and opens client connections;
// it knows nothing of logtriage's streams (those are in triage/worker).
package natsx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultURL is where `serve` listens with no flags and `submit` connects to.
const DefaultURL = "nats://127.0.0.1:4222"

// ServerOptions configure the in-process server.
type ServerOptions struct {
	Host string // default 127.0.0.1: the embedded server is for this machine only
	// Port 0 means 4222; -1 picks a random free port (tests).
	Port int
	// StoreDir holds JetStream's files; required, so data survives restarts.
	StoreDir string
	// MaxPayload caps one message; 0 keeps the server default (1 MiB).
	MaxPayload int32
	// ReadyTimeout bounds the wait for the listener; default 10s.
	ReadyTimeout time.Duration
	// JetStreamKey turns on the server's own encryption at rest of every
	// JetStream file (AES-GCM); empty leaves the files in the clear.
	JetStreamKey string
	// JetStreamOldKey is the previous key while the key changes: the server
	// reads with it and re-encrypts under JetStreamKey as it starts.
	JetStreamOldKey string
	// Users are the nkey users the server accepts (see NkeyUsers); with
	// any, an anonymous connection is refused. None: no authentication
	// (tests of other packages on a loopback port).
	Users []*server.NkeyUser
}

// StartServer runs a NATS server with JetStream on disk and waits until it
// accepts clients. Shut it down with (*server.Server).Shutdown and
// WaitForShutdown.
func StartServer(o ServerOptions) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("natsx: a JetStream store directory is required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 4222
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	sopts := &server.Options{
		ServerName: "logtriage",
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		MaxPayload: o.MaxPayload,
		NoSigs:     true, // the caller owns signal handling
		NoLog:      true,
	}
	if len(o.Users) > 0 {
		sopts.Nkeys = o.Users
	}
	if o.JetStreamKey != "" {
		sopts.JetStreamKey, sopts.JetStreamOldKey, sopts.JetStreamCipher = o.JetStreamKey, o.JetStreamOldKey, server.AES
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsx: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(o.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsx: server not ready on %s:%d within %s (is the port in use?)", o.Host, o.Port, o.ReadyTimeout)
	}
	return srv, nil
}

// ClientOptions say how to reach and authenticate to a NATS deployment.
type ClientOptions struct {
	Name        string // shown in server monitoring
	Credentials string // .creds file (JWT + nkey seed)
	// NkeySeed is a file holding an nkey seed (the embedded server's
	// identities); with it, replies come to the identity's own inbox prefix.
	NkeySeed string
	// Identity names the nkey identity, for its inbox prefix.
	Identity string
	TLSCA    string // PEM file of the CA that signed the server certificate
	TLSCert  string // client certificate (mutual TLS), with TLSKey
	TLSKey   string
	// ConnectTimeout bounds the first connection; default 5s.
	ConnectTimeout time.Duration
}

// Connect dials url. The client reconnects forever after the first success,
// so a restarting server does not stop a worker.
func Connect(url string, o ClientOptions) (*nats.Conn, error) {
	if url == "" {
		url = DefaultURL
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(o.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
	}
	if o.Credentials != "" {
		opts = append(opts, nats.UserCredentials(o.Credentials))
	}
	if o.NkeySeed != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NkeySeed)
		if err != nil {
			return nil, fmt.Errorf("natsx: nkey seed %s: %w", o.NkeySeed, err)
		}
		opts = append(opts, opt)
		if o.Identity != "" {
			opts = append(opts, nats.CustomInboxPrefix(InboxPrefix(o.Identity)))
		}
	}
	if o.TLSCA != "" || o.TLSCert != "" || o.TLSKey != "" {
		cfg, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Secure(cfg))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

func tlsConfig(o ClientOptions) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("natsx: TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("natsx: TLS CA %s: no PEM certificates", o.TLSCA)
		}
		cfg.RootCAs = pool
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("natsx: a TLS client certificate needs both cert and key")
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("natsx: TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
