package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("serve", command{summary: "run the worker (embedded NATS + store by default)", run: runServe})
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, code, ok := parseServeTo(args, stdout, stderr)
	if !ok {
		return code
	}
	if err := serve(ctx, cfg); err != nil {
		cfg.log.Error("serve: " + err.Error())
		return 2 // could not run (docs/cli.md, exit codes)
	}
	return 0
}

// parseServe turns serve's arguments into its configuration; with no
// arguments (and no environment) that is the embedded default: NATS on
// 127.0.0.1:4222 with JetStream and the store under ./data. ok is false
// after -h or a usage error, with the exit code.
func parseServe(args []string, stderr io.Writer) (cfg serveConfig, code int, ok bool) {
	return parseServeTo(args, io.Discard, stderr)
}

// parseServeTo is parseServe with stdout for --print-config.
func parseServeTo(args []string, stdout, stderr io.Writer) (cfg serveConfig, code int, ok bool) {
	fs := newFlagSet(stderr, "serve", "usage: logtriage serve [--data-dir DIR] [--nats-url URL] [--database-url URL] [--workers N] [--http ADDR] [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--llm-pii]")
	fs.StringVar(&cfg.dataDir, "data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "directory for the embedded NATS server and store (env LOGTRIAGE_DATA_DIR)")
	cfg.nats.register(fs, "")
	fs.StringVar(&cfg.listen, "nats-listen", "127.0.0.1:4222", "where the embedded NATS server listens (without --nats-url)")
	fs.StringVar(&cfg.dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL for the store (env DATABASE_URL); the embedded store when empty")
	fs.StringVar(&cfg.routes, "routes", os.Getenv("LOGTRIAGE_ROUTES"), "routing config JSON (env LOGTRIAGE_ROUTES); the built-in default when empty")
	fs.IntVar(&cfg.workers, "workers", 0, "uploads processed concurrently (0: two per CPU, or 4 per CPU with an LLM, which mostly waits)")
	fs.IntVar(&cfg.indexMovers, "index-movers", 1, "concurrent index movers (PostgreSQL store): each moves written vectors into the similarity index in its own database session")
	fs.StringVar(&cfg.httpAddr, "http", "127.0.0.1:9090", "health and metrics listener (/healthz, /readyz, /metrics); empty disables")
	fs.BoolVar(&cfg.pprof, "pprof", envTrue(os.Getenv("LOGTRIAGE_PPROF")), "also serve Go's profiler under /debug/pprof/ on the --http listener (env LOGTRIAGE_PPROF)")
	fs.DurationVar(&cfg.grace, "shutdown-grace", 30*time.Second, "how long in-flight uploads may finish after SIGTERM")
	cfg.portal.register(fs)
	cfg.keys.register(fs)
	fs.StringVar(&cfg.retention, "retention", os.Getenv("LOGTRIAGE_RETENTION"), "retention policy JSON (env LOGTRIAGE_RETENTION); defaults raw 30d, quarantined 7d, incomplete 1d, cases 180d, audit 365d")
	fs.DurationVar(&cfg.purgeEvery, "purge-every", time.Hour, "how often serve purges what is past its retention window; 0 disables")
	var logs logFlags
	logs.register(fs)
	cfg.audit.register(fs)
	cfg.detectors.registerRules(fs)
	llmPII := llmPIIFlag(fs, os.Getenv)
	cfg.learn.register(fs, os.Getenv)
	if err := cfg.guard.register(fs, os.Getenv); err != nil {
		fmt.Fprintln(stderr, "serve: "+err.Error())
		return cfg, 2, false
	}
	configFile := fs.String("config-file", os.Getenv("LOGTRIAGE_CONFIG_FILE"), "serve's settings as `name = value` lines (flag names); the environment and flags override it (env LOGTRIAGE_CONFIG_FILE)")
	printCfg := fs.Bool("print-config", false, "print every setting with where it came from, secrets masked, and exit")
	if err := fs.Parse(args); err != nil {
		return cfg, parseExit(err), false
	}
	source, err := applyConfigFile(fs, *configFile, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage serve:", err)
		return cfg, 2, false
	}
	if code := usageProblem(fs, stderr, append([]problem{argsProblem(fs.Args(), fs.NArg() == 0, "no arguments"),
		{cfg.workers < 0, fmt.Sprintf("--workers %d: want 0 (automatic) or more", cfg.workers)},
		{cfg.indexMovers < 1, fmt.Sprintf("--index-movers %d: want 1 or more", cfg.indexMovers)}}, logs.problems()...)...); code >= 0 {
		return cfg, code, false
	}
	if err := cfg.learn.check(); err != nil {
		fmt.Fprintln(stderr, "serve: "+err.Error())
		return cfg, 2, false
	}
	if err := cfg.guard.check(); err != nil {
		fmt.Fprintln(stderr, "serve: "+err.Error())
		return cfg, 2, false
	}
	// a bad detector config or an unknown finding type is a usage error,
	// reported before anything starts
	detOpts, err := cfg.detectors.checkRules()
	if err != nil {
		fmt.Fprintln(stderr, "serve: "+err.Error())
		return cfg, 2, false
	}
	cfg.detOpts = detOpts
	cfg.llmPII = *llmPII
	if *printCfg {
		printConfig(stdout, fs, source, os.Getenv)
		return cfg, 0, false
	}
	cfg.log = logs.logger(stderr)
	cfg.stderr = stderr
	return cfg, 0, true
}

type serveConfig struct {
	nats                           natsFlags
	keys                           keyFlags
	retention                      string
	purgeEvery                     time.Duration
	audit                          auditFlags
	dataDir, listen, dbURL, routes string
	httpAddr                       string
	pprof                          bool
	workers, indexMovers           int
	grace                          time.Duration
	llmPII                         bool
	portal                         portalFlags
	guard                          llmGuard
	learn                          learnFlags        // learning from agents (learnflags.go)
	detectors                      engineFlags       // --detectors, --mode, --disable, --min-confidence
	detOpts                        detectors.Options // from them, without the key (the keyring's)
	log                            *slog.Logger
	stderr                         io.Writer
}

func serve(ctx context.Context, cfg serveConfig) error {
	// Configuration first: a bad --routes fails before anything starts.
	rt := router.Default()
	if cfg.routes != "" {
		var err error
		if rt, err = router.Load(cfg.routes); err != nil {
			return fmt.Errorf("--routes: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	spool, err := prepareSpool(cfg.dataDir, cfg.log)
	if err != nil {
		return err
	}
	keys, err := cfg.keys.load(cfg.dataDir, os.Getenv, cfg.log, true)
	if err != nil {
		return err
	}
	policy, err := loadRetention(cfg.retention)
	if err != nil {
		return err
	}
	if cfg.nats.url == "" {
		host, portStr, err := net.SplitHostPort(cfg.listen)
		if err != nil {
			return fmt.Errorf("--nats-listen: %w", err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return fmt.Errorf("--nats-listen: %w", err)
		}
		// A taken port is said at once, not after the server's ready timeout.
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			return fmt.Errorf("--nats-listen %s: %w (another serve or NATS server running? give --nats-listen another address)", cfg.listen, err)
		}
		ln.Close()
		jsKey, err := keys.jetStreamKey(true)
		if err != nil {
			return err
		}
		users, serveSeed, err := embeddedNATSAuth(cfg.dataDir)
		if err != nil {
			return err
		}
		srv, err := natsx.StartServer(natsx.ServerOptions{Host: host, Port: port, StoreDir: filepath.Join(cfg.dataDir, "jetstream"),
			JetStreamKey: jsKey, Users: users})
		if err != nil {
			return err
		}
		defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
		cfg.nats.url = srv.ClientURL()
		cfg.nats.nkey, cfg.nats.identity, cfg.nats.creds = serveSeed, serveIdentity, ""
		cfg.log.Info("embedded NATS JetStream server", "url", cfg.nats.url, "dir", filepath.Join(cfg.dataDir, "jetstream"))
	}
	nc, js, err := cfg.nats.connect("logtriage-worker")
	if err != nil {
		return err
	}
	defer nc.Close()

	alertSubject := rt.AlertSubject()
	if alertSubject == "" {
		alertSubject = worker.DefaultAlertSubject
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := worker.Setup(setupCtx, js, worker.Topology{AlertSubject: alertSubject, MaxAge: policy.MaxRaw()}); err != nil {
		return err
	}

	keyed, err := openKeyedStore(ctx, cfg.dbURL, cfg.dataDir, keys)
	if err != nil {
		return err
	}
	store := keyed.Store
	defer store.Close()
	if err := keyed.keys.CheckMaster(ctx); err != nil {
		return err
	}
	trail, err := cfg.audit.start(ctx, store, cfg.dataDir, nc, cfg.log)
	if err != nil {
		return err
	}
	defer trail.stop() // before the store closes: the last checkpoint is written

	pipe, usesLLM, err := guardedPipeline(rt, store, keys.fingerprint, cfg.detOpts, cfg.llmPII, &cfg.guard, triage.OpenLimits{TempDir: spool}, cfg.log, cfg.learn.apply)
	if err != nil {
		return err
	}
	if cfg.workers == 0 {
		cfg.workers = defaultWorkers(runtime.NumCPU(), usesLLM)
	}
	w, err := worker.New(setupCtx, worker.Options{
		JS: js, Pipeline: pipe, Store: store, Workers: cfg.workers,
		AlertSubject: alertSubject, ShutdownGrace: cfg.grace, Logger: cfg.log, Retention: policy,
		Breakers: cfg.guard.all(),
		Audit:    worker.AuditOptions{Recorder: trail.chain, LLMEndpoint: llmEndpoint(os.Getenv), EmbeddingsEndpoint: llmEndpoint(os.Getenv)},
	})
	if err != nil {
		return err
	}
	// Agents' resolutions come through the worker, which owns the store.
	resolutions, err := worker.ServeResolutions(nc, worker.ResolveOptions{Store: store, Router: rt, Logger: cfg.log, Recorder: trail.chain})
	if err != nil {
		return err
	}
	defer resolutions.Unsubscribe()
	examples, err := worker.ServeExamples(nc, store, cfg.log)
	if err != nil {
		return err
	}
	defer examples.Unsubscribe()
	if cfg.httpAddr != "" {
		h := w.Handler()
		if cfg.pprof {
			h = withPprof(h)
		}
		stopHTTP, err := serveHTTP(cfg.httpAddr, h, cfg.log)
		if err != nil {
			return err
		}
		defer stopHTTP()
	}
	stopPurge, err := startPurgeLoop(ctx, cfg.purgeEvery, policy, keyed, keys, js, trail.chain, cfg.log)
	if err != nil {
		return err
	}
	defer stopPurge()
	if cfg.portal.listen != "" {
		stopPortal, err := startPortal(cfg.portal, store, js, trail.chain, trail.portalAPI(), rt, policy, cfg.log)
		if err != nil {
			return err
		}
		defer stopPortal()
	}
	// Reading commands (similar) ask serve instead of opening its store.
	querySub, err := worker.ServeQueries(nc, store, cfg.guard.embedder, cfg.log, func(ctx context.Context, res triage.SimilarResult) error {
		return recordCLI(ctx, store, similarEvents(&triage.Case{ID: res.CaseID, Tenant: res.Tenant}, res.Similar)...)
	})
	if err != nil {
		return err
	}
	defer querySub.Drain()
	// Payloads a killed submit left (chunks, objects with no event), hourly.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		worker.RunSweeper(sweepCtx, worker.SweepOptions{JS: js, Store: store}, time.Hour, cfg.log)
	}()
	defer func() { stopSweep(); <-sweepDone }()
	// Large tenants' own similar-case indexes (PostgreSQL store), hourly.
	defer startTenantIndexLoop(ctx, store, time.Hour, cfg.log)()
	// Vectors written outside the similarity index go into it in batches.
	defer startEmbeddingMover(ctx, store, moverOptions{movers: cfg.indexMovers, metrics: w.Metrics(), log: cfg.log})()
	if cfg.guard.remoteEmbedder != nil {
		backfillDone := make(chan struct{})
		backfillCtx, stopBackfill := context.WithCancel(ctx)
		go func() {
			defer close(backfillDone)
			worker.RunBackfill(backfillCtx, worker.BackfillOptions{Store: store, Embedder: cfg.guard.remoteEmbedder, Logger: cfg.log, Metrics: w.Metrics()})
		}()
		defer func() { stopBackfill(); <-backfillDone }()
	}
	cfg.log.Info("worker running", "workers", cfg.workers, "nats", cfg.nats.url, "stream", worker.UploadsStream)
	err = w.Run(ctx)
	cfg.log.Info("worker stopped")
	return err
}

// defaultWorkers: an upload in rules mode spends about half its time waiting
// (store fsync, stream acks), so two per CPU keep the CPUs busy; with an LLM
// a worker mostly waits on it.
func defaultWorkers(cpus int, usesLLM bool) int {
	if usesLLM {
		return 4 * cpus
	}
	return 2 * cpus
}

// workerPipeline is the pipeline `triage` runs, with the store for similar
// cases; it says once which classifier judges the cases.
func workerPipeline(rt *router.Router, store triage.Store, fingerprintKey []byte, llmPII bool, log *slog.Logger) (p *triage.Pipeline, usesLLM bool, err error) {
	return guardedPipeline(rt, store, fingerprintKey, detectors.Options{}, llmPII, defaultLLMGuard(), triage.OpenLimits{}, log)
}

// guardedPipeline is workerPipeline with guard's LLM budget and circuit
// breakers (one per endpoint, made here).
// detOpts are the detector flags' options; the key is fingerprintKey.
// limits bound (and say where to spool) what Open reads; extra options
// (learning from agents) are applied last.
func guardedPipeline(rt *router.Router, store triage.Store, fingerprintKey []byte, detOpts detectors.Options, llmPII bool, guard *llmGuard, limits triage.OpenLimits, log *slog.Logger, extra ...func(*triage.PipelineOptions)) (p *triage.Pipeline, usesLLM bool, err error) {
	var classifier triage.Classifier
	if opts, ok := llm.OptionsFromEnv(os.Getenv); ok {
		opts.Breaker = guard.breakerFor(opts.BaseURL)
		c, err := llm.New(opts)
		if err != nil {
			return nil, false, err
		}
		log.Info("classifier: LLM", "model", c.Model(), "base_url", opts.BaseURL, "prompt", c.PromptVersion())
		classifier = c
	} else {
		log.Info("classifier: rules only (set OPENAI_API_KEY or OPENAI_BASE_URL to use an LLM)")
	}
	var pii triage.PIIDetector
	d, note, err := newGuardedLLMPII(llmPII, os.Getenv, guard.breakerFor)
	if err != nil {
		return nil, false, err
	}
	if note != "" {
		log.Info(note)
	}
	if d != nil {
		pii = d
	}
	var embOpts embed.EnvOptions
	if base := embed.BaseURL(os.Getenv); base != "" {
		embOpts.Breaker = guard.breakerFor(base)
	}
	embedder, err := embed.FromEnvWith(os.Getenv, embOpts)
	if err != nil {
		return nil, false, err
	}
	// When the endpoint fails, cases get a vector in the local space and
	// are re-embedded once it is back (docs/worker.md, "LLM outages").
	fallback, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		return nil, false, err
	}
	log.Info("similar cases", "embedder", embedder.ID(), "dimensions", embedder.Dimensions(), "fallback", fallback.ID())
	guard.embedder = embedder
	if embedder.ID() != fallback.ID() {
		guard.remoteEmbedder = embedder
	}
	detOpts.FingerprintKey = fingerprintKey
	det, err := detectors.New(detOpts)
	if err != nil {
		return nil, false, err
	}
	popts := triage.PipelineOptions{
		Detector:         det,
		Classifier:       classifier,
		Rules:            rules.New(rt),
		PII:              pii,
		Router:           rt,
		Embedder:         embedder,
		Store:            store,
		FallbackEmbedder: fallback,
		LLMBudget:        guard.budget,
		Limits:           limits,
		// Anomaly signals against each tenant's history in the store.
		Anomalies: &triage.AnomalyOptions{},
	}
	for _, f := range extra {
		f(&popts)
	}
	p, err = triage.NewPipeline(popts)
	return p, classifier != nil || pii != nil, err
}

func serveHTTP(addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http: " + err.Error())
		}
	}()
	log.Info("health and metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
