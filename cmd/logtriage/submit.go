package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/portal/apiclient"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("submit", command{summary: "upload log files to the worker (NATS JetStream)", run: runSubmit})
}

func runSubmit(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "submit", "usage: logtriage submit [--nats-url URL | --api URL --token T] [--tenant T] [--wait] [--timeout D] [--format json|text] FILE...")
	var nf natsFlags
	nf.register(fs, natsx.DefaultURL)
	tenant := fs.String("tenant", envOr("LOGTRIAGE_TENANT", "default"), "tenant the files belong to (env LOGTRIAGE_TENANT)")
	wait := fs.Bool("wait", false, "wait for each finished case and print it")
	timeout := fs.Duration("timeout", 2*time.Minute, "with --wait, how long to wait for all cases")
	format := fs.String("format", "text", "output format: text or json (json with --wait unless given)")
	maxSize := fs.Int64("max-size", worker.DefaultMaxUploadSize, "refuse files larger than this many bytes")
	api := fs.String("api", os.Getenv("LOGTRIAGE_API"), "upload through the portal API at this URL instead of NATS (env LOGTRIAGE_API); the tenant is the token's")
	token := fs.String("token", os.Getenv("LOGTRIAGE_TOKEN"), "API token for --api (env LOGTRIAGE_TOKEN)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if *wait && !flagGiven(fs, "format") {
		*format = "json" // the contract: with --wait, the finished case as JSON
	}
	if code := usageProblem(fs, stderr, argsProblem(files, len(files) > 0, "one FILE or more"), formatProblem(*format, "text", "json")); code >= 0 {
		return code
	}
	if *api != "" {
		if *token == "" {
			*token = readTokenFile()
		}
		if *token == "" {
			fmt.Fprintln(stderr, "logtriage submit: --api needs --token (or LOGTRIAGE_TOKEN, or `logtriage login --api URL` first)")
			return 2
		}
		return submitAPI(ctx, &apiclient.Client{BaseURL: *api, Token: *token}, files, *wait, *timeout, *format, stdout, stderr)
	}
	if err := worker.ValidTenant(*tenant); err != nil {
		fmt.Fprintln(stderr, "logtriage submit:", err)
		return 2
	}
	nc, js, err := nf.connect("logtriage-submit")
	if err != nil {
		fmt.Fprintln(stderr, "logtriage submit:", err)
		return 2
	}
	defer nc.Close()

	code := 0
	var receipts []worker.Receipt
	for _, path := range files {
		r, err := submitFile(ctx, js, path, *tenant, *maxSize)
		if err != nil {
			fmt.Fprintln(stderr, "logtriage submit:", err)
			code = 1
			continue
		}
		receipts = append(receipts, r)
		if !*wait {
			printReceipt(stdout, r, *format)
		}
	}
	if !*wait {
		return code
	}
	waitCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for _, r := range receipts {
		out, err := worker.WaitOutcome(waitCtx, js, r.Event.UploadID)
		if err != nil {
			fmt.Fprintf(stderr, "logtriage submit: %s: no case yet: %v\n", r.Event.Name, err)
			code = 1
			continue
		}
		if out.Status == triage.StatusFailed || out.Case == nil {
			fmt.Fprintf(stderr, "logtriage submit: %s: %s: %s\n", r.Event.Name, out.Status, out.Reason)
			code = 1
		}
		if err := printOutcome(stdout, out, *format); err != nil {
			fmt.Fprintln(stderr, "logtriage submit:", err)
			return 2
		}
	}
	return code
}

func submitFile(ctx context.Context, js jetstream.JetStream, path, tenant string, maxSize int64) (worker.Receipt, error) {
	f, err := os.Open(path)
	if err != nil {
		return worker.Receipt{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return worker.Receipt{}, fmt.Errorf("%s: not a regular file", path)
	}
	r, err := worker.Submit(ctx, js, worker.Submission{
		Tenant: tenant, Name: path, Content: f, MaxSize: maxSize,
		CaseRef: triage.CaseRefFromName(path),
	})
	if errors.Is(err, worker.ErrTooLarge) {
		return r, fmt.Errorf("%s: larger than --max-size %d bytes", path, maxSize)
	}
	return r, err
}

func printReceipt(w io.Writer, r worker.Receipt, format string) {
	if format == "json" {
		out := struct {
			worker.UploadEvent
			Duplicate bool `json:"duplicate"`
		}{r.Event, r.Duplicate}
		b, _ := json.Marshal(out)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	dup := ""
	if r.Duplicate {
		dup = " (already submitted; not queued again)"
	}
	fmt.Fprintf(w, "submitted %s as upload %s for tenant %s, %d bytes%s\n",
		r.Event.Name, r.Event.UploadID, r.Event.Tenant, r.Event.Size, dup)
}

func printOutcome(w io.Writer, out *worker.Outcome, format string) error {
	if format == "text" {
		if out.Case == nil {
			_, err := fmt.Fprintf(w, "upload %s: %s: %s\n", out.UploadID, out.Status, out.Reason)
			return err
		}
		return triage.RenderText(w, out.Case)
	}
	var v any = out
	if out.Case != nil {
		v = out.Case
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
