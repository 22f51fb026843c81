package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage/worker"
)

func init() {
	register("nats-key", command{summary: "give a customer's or agent's script its own key to the embedded NATS server", run: runNATSKey})
}

// runNATSKey writes an nkey identity under DATA_DIR/nats/creds; serve loads
// every identity there when it starts.
func runNATSKey(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, "add", stderr, "usage: logtriage nats-key add NAME --role customer|agent [--tenant T] [--queues a,b]"); !ok {
		return code
	}
	fs := newFlagSet(stderr, "nats-key add", "usage: logtriage nats-key add NAME --role customer|agent [--tenant T] [--queues a,b]",
		"A customer key publishes only to its tenant's upload subject (inline uploads up to 64 KiB; larger files go through the HTTP API).",
		"An agent key creates push consumers on its queues only, delivered to its own inbox. Restart serve to load new keys.")
	dataDir := fs.String("data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "serve's data directory (env LOGTRIAGE_DATA_DIR)")
	role := fs.String("role", "", "customer or agent")
	tenant := fs.String("tenant", "", "the customer's tenant")
	queues := fs.String("queues", "", "the agent's queues, comma-separated")
	name, code, ok := parseNamed(fs, args[1:])
	if !ok {
		return code
	}
	id := natsx.Identity{Name: name, Role: *role}
	switch *role {
	case natsx.RoleCustomer:
		if err := worker.ValidTenant(*tenant); err != nil {
			fmt.Fprintln(stderr, "nats-key add: --tenant:", err)
			return 2
		}
		id.Tenant = *tenant
	case natsx.RoleAgent:
		for _, q := range strings.Split(*queues, ",") {
			if q = strings.TrimSpace(q); q != "" {
				id.Queues = append(id.Queues, q)
			}
		}
	default:
		fmt.Fprintln(stderr, "nats-key add: --role must be customer or agent (serve and the local CLI have theirs)")
		return 2
	}
	if name == serveIdentity || name == cliIdentity {
		fmt.Fprintf(stderr, "nats-key add: %s is reserved\n", name)
		return 2
	}
	creds := natsCreds(*dataDir)
	if _, err := creds.Ensure(id); err != nil {
		fmt.Fprintln(stderr, "nats-key add:", err)
		return 2
	}
	fmt.Fprintln(stdout, creds.SeedPath(name))
	fmt.Fprintln(stderr, "give this seed file (mode 0600) to the script; connect with --nats-nkey FILE; restart serve to load it")
	return 0
}
