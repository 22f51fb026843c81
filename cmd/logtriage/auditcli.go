package main

import (
	"context"
	"errors"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// cliActor is the service identity of a command run by an operator:
// "cli:<os user>@<host>", so the trail says who ran it from where.
func cliActor() audit.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return audit.Actor{Kind: audit.ActorService, Name: "cli:" + name + "@" + host, Role: "operator"}
}

// recordCLI records events of a command's access to tenant data in the
// store's trail before anything is printed (no audit, no data). The CLI
// does not sign checkpoints: serve does, with its key.
func recordCLI(ctx context.Context, store triage.Store, events ...audit.Event) error {
	as, ok := store.(audit.Store)
	if !ok {
		return errors.New("this store keeps no audit trail: refusing to show tenant data unrecorded")
	}
	chain := audit.NewChain(as, nil, audit.Options{})
	actor := cliActor()
	for _, e := range events {
		e.Actor = actor
		if _, err := chain.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// similarEvents: the case looked up (its summary is printed) and, per tenant
// whose cases came back, one search.results event naming them.
func similarEvents(c *triage.Case, hits []triage.SimilarCase) []audit.Event {
	events := []audit.Event{{Tenant: c.Tenant, Action: audit.ActionCaseViewed, Resource: "case/" + c.ID,
		Detail: map[string]string{"command": "similar"}}}
	byTenant := map[string][]string{}
	for _, h := range hits {
		t := h.Tenant
		if t == "" {
			t = c.Tenant
		}
		byTenant[t] = append(byTenant[t], h.CaseID)
	}
	tenants := make([]string, 0, len(byTenant))
	for t := range byTenant {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	for _, t := range tenants {
		ids := byTenant[t]
		events = append(events, audit.Event{Tenant: t, Action: audit.ActionSearch, Resource: "case/" + c.ID,
			Detail: map[string]string{"lookup": "similar", "query_tenant": c.Tenant, "count": strconv.Itoa(len(ids)), "cases": strings.Join(ids, ",")}})
	}
	return events
}
