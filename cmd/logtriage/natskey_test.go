package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/internal/natsx"
)

func TestNATSKeyAdd(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"nats-key", "add", "acme-uploader", "--role", "customer", "--tenant", "acme", "--data-dir", dir},
		nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	ids, err := natsCreds(dir).Load()
	if err != nil || len(ids) != 1 || ids[0].Role != natsx.RoleCustomer || ids[0].Tenant != "acme" {
		t.Fatalf("identities %+v, %v", ids, err)
	}
	if strings.TrimSpace(out.String()) != natsCreds(dir).SeedPath("acme-uploader") {
		t.Fatalf("printed %q", out.String())
	}
	for _, args := range [][]string{
		{"nats-key", "add", "x", "--role", "customer"},
		{"nats-key", "add", "x", "--role", "agent"},
		{"nats-key", "add", "x", "--role", "service"},
		{"nats-key", "add", cliIdentity, "--role", "agent", "--queues", "q"},
	} {
		if code := run(context.Background(), append(args, "--data-dir", dir), nil, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
