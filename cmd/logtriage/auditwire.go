package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audithttp"
	"github.com/logtriage/logtriage/audit/feed"
	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/llm"
)

// auditKeyPath is where serve keeps the checkpoint signing key: beside the
// other service keys, generated on first start (0600), never built in.
func auditKeyPath(dataDir string) string {
	return envOr("LOGTRIAGE_AUDIT_KEY_FILE", filepath.Join(dataDir, "keys", audit.SigningKeyFile))
}

// openAuditStore opens the store serve uses, for the audit commands. It
// never creates one: a wrong --data-dir must not look like an empty trail.
func openAuditStore(ctx context.Context, dbURL, dataDir string) (triage.Store, audit.Store, error) {
	if dbURL == "" {
		if _, err := os.Stat(filepath.Join(dataDir, "store")); err != nil {
			return nil, nil, fmt.Errorf("no embedded store under %s (the --data-dir serve uses, or --database-url): %w", dataDir, err)
		}
	}
	st, err := openReadStore(ctx, dbURL, dataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is serve running on this data dir? export through GET /api/v1/audit/export and verify the file instead)", err)
	}
	as, ok := st.(audit.Store)
	if !ok {
		st.Close()
		return nil, nil, errors.New("this store keeps no audit trail")
	}
	return st, as, nil
}

// auditFlags configure serve's audit trail.
type auditFlags struct {
	checkpointEvery time.Duration
	retention       time.Duration
	natsFeed        bool
	webhooks        string
}

func (f *auditFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.checkpointEvery, "audit-checkpoint-every", 5*time.Minute, "how often the head of every audit chain that moved is signed (a cut tail is found against the last checkpoint)")
	fs.DurationVar(&f.retention, "audit-retention", audit.DefaultRetention, "how long audit events are kept (their own retention: they outlive the cases)")
	fs.BoolVar(&f.natsFeed, "audit-feed", true, "publish every audit event on NATS subject logtriage.audit.<tenant>")
	fs.StringVar(&f.webhooks, "audit-webhooks", os.Getenv("LOGTRIAGE_AUDIT_WEBHOOKS"), "JSON file of per-tenant audit webhooks [{\"tenant\",\"url\",\"secret\"}] (env LOGTRIAGE_AUDIT_WEBHOOKS; mode 0600)")
}

// auditRuntime is serve's audit trail: the chain every reader records
// through, its HTTP handlers, and the checkpoint and retention loops.
type auditRuntime struct {
	chain *audit.Chain
	api   *audithttp.Handlers
	stop  func()
}

func (f auditFlags) start(ctx context.Context, store triage.Store, dataDir string, nc *nats.Conn, log *slog.Logger) (*auditRuntime, error) {
	as, ok := store.(audit.Store)
	if !ok {
		return nil, errors.New("audit: the store keeps no audit trail")
	}
	signer, err := audit.LoadOrCreateSigner(auditKeyPath(dataDir))
	if err != nil {
		return nil, err
	}
	var pubs []audit.Publisher
	if f.natsFeed && nc != nil {
		pubs = append(pubs, feed.NewNATS(nc, log))
	}
	var wh *feed.Webhook
	if f.webhooks != "" {
		targets, err := loadWebhooks(f.webhooks)
		if err != nil {
			return nil, err
		}
		if wh, err = feed.NewWebhook(targets, feed.WebhookOptions{Log: log}); err != nil {
			return nil, err
		}
		pubs = append(pubs, wh)
	}
	chain := audit.NewChain(as, signer, audit.Options{Publishers: pubs, Retention: f.retention})
	api, err := audithttp.New(audithttp.Options{Store: as, Recorder: chain, Scope: portalScope, Signer: signer, Log: log})
	if err != nil {
		return nil, err
	}
	log.Info("audit trail", "key_id", signer.KeyID(), "checkpoint_every", f.checkpointEvery, "retention", f.retention,
		"nats_feed", f.natsFeed, "webhooks", f.webhooks != "")
	loops, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 2)
	go func() { chain.RunCheckpoints(loops, f.checkpointEvery, log.Error); done <- struct{}{} }()
	go func() {
		defer func() { done <- struct{}{} }()
		t := time.NewTicker(24 * time.Hour)
		defer t.Stop()
		for {
			if n, err := chain.Purge(loops); err != nil && loops.Err() == nil {
				log.Error("audit retention: " + err.Error())
			} else if n > 0 {
				log.Info("audit retention", "purged", n)
			}
			select {
			case <-loops.Done():
				return
			case <-t.C:
			}
		}
	}()
	return &auditRuntime{chain: chain, api: api, stop: func() {
		cancel()
		<-done
		<-done // the final checkpoint is written before the store closes
		if wh != nil {
			c, stop := context.WithTimeout(context.Background(), 5*time.Second)
			wh.Close(c)
			stop()
		}
	}}, nil
}

// portalAPI is what the portal mounts under /api/v1/audit.
func (a *auditRuntime) portalAPI() portal.AuditAPI {
	return portal.AuditAPI{Events: a.api.Events, Export: a.api.Export, PublicKey: a.api.PublicKey}
}

// portalScope maps the portal's principal to what it may read of the audit
// trail: a customer its own tenant, security and admin every tenant (each
// such read recorded in the tenants it touched). The justification comes
// with the X-Access-Reason header (the portal asks for it).
func portalScope(r *http.Request) (audithttp.Scope, bool) {
	p, ok := portal.PrincipalFrom(r.Context())
	if !ok {
		return audithttp.Scope{}, false
	}
	sc := audithttp.Scope{
		Actor:      audit.Actor{Kind: audit.ActorUser, Name: p.Name, Role: string(p.Role)},
		Reason:     r.Header.Get("X-Access-Reason"),
		SourceAddr: remoteHost(r.RemoteAddr),
		RequestID:  r.Header.Get("X-Request-Id"),
	}
	switch p.Role {
	case portal.RoleCustomer:
		sc.Tenant = p.Tenant
		return sc, p.Tenant != ""
	case portal.RoleSecurity, portal.RoleAdmin:
		sc.AllTenants = true
		return sc, true
	}
	return sc, false
}

type webhookConfig struct {
	Tenant string `json:"tenant"`
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// loadWebhooks reads the webhook file; it holds secrets, so others must
// not be able to read it.
func loadWebhooks(path string) ([]feed.Target, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--audit-webhooks: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--audit-webhooks %s: mode %v lets others read its secrets; chmod 600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg []webhookConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("--audit-webhooks %s: %w", path, err)
	}
	var out []feed.Target
	for _, c := range cfg {
		if !webhookURLAllowed(c.URL) {
			return nil, fmt.Errorf("--audit-webhooks: %s: the URL must be https (or http to loopback)", c.Tenant)
		}
		out = append(out, feed.Target{Tenant: c.Tenant, URL: c.URL, Secret: []byte(c.Secret)})
	}
	return out, nil
}

// llmEndpoint is the base URL the pipeline's LLM calls go to, for the
// llm.sent events ("" when rules only).
func llmEndpoint(getenv func(string) string) string {
	if u := strings.TrimSpace(getenv("OPENAI_BASE_URL")); u != "" {
		return u
	}
	if getenv("OPENAI_API_KEY") != "" {
		return llm.DefaultBaseURL
	}
	return ""
}

// remoteHost is the client's address without its port.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// webhookURLAllowed: events leave only over TLS, except to this machine.
func webhookURLAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}
