package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/retention"
)

// portalFlags are serve's API and console settings.
type portalFlags struct {
	listen, tlsCert, tlsKey, evalDir string
	insecure                         bool
	retentionDays                    int
}

func (p *portalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.listen, "listen", envOr("LOGTRIAGE_LISTEN", "127.0.0.1:8080"), "API and console address (env LOGTRIAGE_LISTEN); empty disables")
	fs.StringVar(&p.tlsCert, "tls-cert", os.Getenv("LOGTRIAGE_TLS_CERT"), "PEM certificate for the API and console (with --tls-key)")
	fs.StringVar(&p.tlsKey, "tls-key", os.Getenv("LOGTRIAGE_TLS_KEY"), "PEM key for --tls-cert")
	fs.BoolVar(&p.insecure, "insecure-listen", false, "allow --listen on a non-loopback address without TLS (a TLS proxy on this host)")
	fs.StringVar(&p.evalDir, "eval-dir", os.Getenv("LOGTRIAGE_EVAL_DIR"), "directory of eval reports (eval --format json output) shown to the ml role")
	days, _ := strconv.Atoi(envOr("LOGTRIAGE_RETENTION_DAYS", "0"))
	fs.IntVar(&p.retentionDays, "retention-days", days, "days uploads are kept, as told to customers (env LOGTRIAGE_RETENTION_DAYS); 0: each tenant's raw-upload window from --retention")
}

// startPortal serves the API and console, recording through the audit
// chain and mounting its HTTP handlers. The listener policy (TLS, or
// loopback unless --insecure-listen) is checked before anything listens.
// The retention notice is each tenant's raw-upload window from policy
// unless --retention-days says otherwise; corrections are held to rt.
func startPortal(p portalFlags, store triage.Store, js jetstream.JetStream, rec audit.Recorder, auditAPI portal.AuditAPI,
	rt *router.Router, policy retention.Policy, log *slog.Logger) (stop func(), err error) {
	useTLS := p.tlsCert != "" || p.tlsKey != ""
	if useTLS && (p.tlsCert == "" || p.tlsKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	note, err := portal.CheckListen(p.listen, useTLS, p.insecure)
	if err != nil {
		return nil, err
	}
	opts := portal.Options{Store: store, Recorder: rec, JS: js, Secure: useTLS, Router: rt,
		RetentionDays: p.retentionDays, EvalDir: p.evalDir, Audit: auditAPI, Log: log}
	if p.retentionDays <= 0 {
		opts.RetentionFor = func(tenant string) int {
			return int(policy.For(tenant).Raw.D() / (24 * time.Hour))
		}
	}
	srv, err := portal.New(opts)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if useTLS {
		cert, err := tls.LoadX509KeyPair(p.tlsCert, p.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", p.listen)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	if useTLS {
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("portal: " + err.Error())
		}
	}()
	log.Info("portal: API and console", "url", scheme+"://"+ln.Addr().String()+"/", "listener", note)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}
