package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/portal"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

func init() {
	register("user", command{summary: "add portal accounts (user add NAME --role ROLE; password on stdin)", run: runUser})
	register("token", command{summary: "create an API token for an account (token create NAME [--ttl D])", run: runToken})
}

// storeFlags say which store holds the accounts: the same one serve uses.
type storeFlags struct{ dataDir, dbURL string }

func (s *storeFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&s.dataDir, "data-dir", envOr("LOGTRIAGE_DATA_DIR", "data"), "serve's data directory (env LOGTRIAGE_DATA_DIR)")
	fs.StringVar(&s.dbURL, "database-url", envOr("DATABASE_URL", ""), "PostgreSQL URL (env DATABASE_URL); the embedded store when empty")
}

// open opens the account store. The embedded store is one process's at a
// time: while `serve` runs on it, account changes wait until it stops
// (PostgreSQL has no such limit).
func (s *storeFlags) open(ctx context.Context) (triage.Store, triage.AccountStore, error) {
	dir := filepath.Join(s.dataDir, "store")
	st, err := openReadStore(ctx, s.dbURL, s.dataDir)
	if err != nil {
		if errors.Is(err, embedded.ErrLocked) {
			return nil, nil, fmt.Errorf("the embedded store in %s is in use, most likely by a running `logtriage serve`; "+
				"stop serve, change accounts, start it again; or have an admin use the portal (POST /api/v1/accounts); "+
				"with --database-url, accounts can change while serve runs", dir)
		}
		return nil, nil, err
	}
	as, ok := st.(triage.AccountStore)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("store %T cannot keep accounts", st)
	}
	return st, as, nil
}

// splitName takes a leading NAME before the flags (`user add ana --role agent`).
func splitName(args []string) (name string, rest []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// parseNamed parses a subcommand's flags with its one NAME before or after
// them; ok is false when the command should exit with code (a flag error,
// -h, or no NAME or more than one: the usage is printed).
func parseNamed(fs *flag.FlagSet, args []string) (name string, code int, ok bool) {
	name, rest := splitName(args)
	if err := fs.Parse(rest); err != nil {
		return "", parseExit(err), false
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() != 0 || name == "" {
		fs.Usage()
		return "", 2, false
	}
	return name, 0, true
}

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, "add", stderr, "usage: logtriage user add NAME --role customer|agent|security|ml|admin [--tenant T] [--queues a,b] (password on stdin)"); !ok {
		return code
	}
	fs := newFlagSet(stderr, "user add", "usage: logtriage user add NAME --role ROLE [--tenant T] [--queues a,b] < password",
		"The password is the first line of stdin (at least 12 characters). Adding an existing name replaces its role and password.")
	var sf storeFlags
	sf.register(fs)
	role := fs.String("role", "", "customer, agent, security, ml or admin")
	tenant := fs.String("tenant", "", "the customer's tenant")
	queues := fs.String("queues", "", "the agent's queues, comma-separated")
	name, code, ok := parseNamed(fs, args[1:])
	if !ok {
		return code
	}
	r, err := portal.ParseRole(*role)
	if err != nil {
		fmt.Fprintln(stderr, "user add:", err)
		return 2
	}
	pw, err := readPassword(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "user add:", err)
		return 2
	}
	var qs []string
	for _, q := range strings.Split(*queues, ",") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	st, as, err := sf.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "user add:", err)
		return 1
	}
	defer st.Close()
	a, err := portal.Accounts{Store: as}.Add(ctx, portal.NewAccount{Name: name, Role: r, Tenant: *tenant, Queues: qs, Password: pw})
	if err != nil {
		fmt.Fprintln(stderr, "user add:", err)
		if triage.KindOf(err) == triage.KindInvalid {
			return 2
		}
		return 1
	}
	if err := recordAccountChange(ctx, st, a.Tenant, a.Name, map[string]string{"role": a.Role, "via": "user add"}); err != nil {
		fmt.Fprintf(stderr, "user add: account %s saved, but not recorded in the audit trail: %v\n", a.Name, err)
		return 1
	}
	fmt.Fprintf(stdout, "account %s (%s)", a.Name, a.Role)
	if a.Tenant != "" {
		fmt.Fprintf(stdout, " tenant %s", a.Tenant)
	}
	if len(a.Queues) > 0 {
		fmt.Fprintf(stdout, " queues %s", strings.Join(a.Queues, ","))
	}
	fmt.Fprintln(stdout)
	return 0
}

// recordAccountChange puts the change in the audit trail of the account's
// tenant (or the portal's), as the operator's OS user, when the store keeps one.
func recordAccountChange(ctx context.Context, st triage.Store, tenant, name string, detail map[string]string) error {
	as, ok := st.(audit.Store)
	if !ok {
		return nil
	}
	if tenant == "" {
		tenant = portal.PortalTenant
	}
	operator := envOr("USER", "operator")
	_, err := audit.NewChain(as, nil, audit.Options{}).Record(ctx, audit.Event{
		Time: time.Now().UTC(), Tenant: tenant, Actor: audit.Actor{Kind: audit.ActorUser, Name: operator, Role: "operator"},
		Action: audit.ActionAccountChanged, Resource: "account/" + name, Outcome: audit.Success, Detail: detail,
	})
	return err
}

// readPassword reads the first line of stdin: a script pipes it in, a person
// types it (echoed: use a pipe or a file on a shared screen).
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin")
	}
	return pw, nil
}

func runToken(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, "create", stderr, "usage: logtriage token create NAME [--ttl D]"); !ok {
		return code
	}
	fs := newFlagSet(stderr, "token create", "usage: logtriage token create NAME [--ttl D]",
		"Prints the token once; only its digest is stored. Use it as 'Authorization: Bearer TOKEN'.")
	var sf storeFlags
	sf.register(fs)
	ttl := fs.Duration("ttl", 90*24*time.Hour, "lifetime (0: no expiry)")
	name, code, ok := parseNamed(fs, args[1:])
	if !ok {
		return code
	}
	if *ttl < 0 {
		fs.Usage()
		return 2
	}
	st, as, err := sf.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "token create:", err)
		return 1
	}
	defer st.Close()
	tok, t, err := portal.Accounts{Store: as}.CreateToken(ctx, name, *ttl)
	if err != nil {
		fmt.Fprintln(stderr, "token create:", err)
		if triage.KindOf(err) == triage.KindInvalid {
			return 2
		}
		return 1
	}
	acct, _ := as.GetAccount(ctx, name)
	if err := recordAccountChange(ctx, st, acct.Tenant, name, map[string]string{"token": t.ID, "via": "token create"}); err != nil {
		as.DeleteToken(ctx, t.ID) // an unrecorded credential is not handed out
		fmt.Fprintf(stderr, "token create: not recorded in the audit trail, token revoked: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	if !t.ExpiresAt.IsZero() {
		fmt.Fprintf(stderr, "token %s for %s expires %s; it is not shown again\n", t.ID, name, t.ExpiresAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(stderr, "token %s for %s does not expire; it is not shown again\n", t.ID, name)
	}
	return 0
}
