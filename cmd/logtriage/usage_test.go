package main

import (
	"strings"
	"testing"
)

// A usage error says what is wrong before the usage; asked-for help goes
// to stdout; a typo gets a suggestion.
func TestUsageErrorsSayWhy(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"triage", "--format", "yaml", "app.log"}, `logtriage triage: --format "yaml": want text or json`},
		{[]string{"triage"}, "logtriage triage: missing argument: want one FILE"},
		{[]string{"cases", "--next"}, "logtriage cases: --next needs --queue"},
		{[]string{"serve", "--listen", "", "--workers", "-3"}, "logtriage serve: --workers -3: want 0 (automatic) or more"},
		{[]string{"migrate"}, "logtriage migrate: no database: give --database-url or set DATABASE_URL"},
		{[]string{"similar", "a", "b"}, `logtriage similar: 2 argument(s) ("a" "b"): want one CASE_ID`},
		{[]string{"submit", "--format", "xml", "f"}, `logtriage submit: --format "xml": want text or json`},
		{[]string{"eval"}, "logtriage eval: --dataset is required"},
		{[]string{"serv"}, `logtriage: unknown command "serv" (did you mean "serve"?)`},
		{[]string{"smilar"}, `(did you mean "similar"?)`},
		{[]string{"alrets"}, `(did you mean "alerts"?)`},
	}
	for _, tc := range tests {
		code, out, errOut := runCLI(t, tc.args...)
		if code != 2 || !strings.HasPrefix(errOut, tc.want) && !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr does not start with %q:\n%s", tc.args, code, tc.want, errOut)
		}
		if !strings.Contains(errOut, "usage: logtriage") {
			t.Errorf("%v: no usage after the reason", tc.args)
		}
		if out != "" {
			t.Errorf("%v: a usage error wrote to stdout: %q", tc.args, out)
		}
	}
	if code, out, errOut := runCLI(t, "frobnicate"); code != 2 || strings.Contains(errOut, "did you mean") {
		t.Errorf("frobnicate: exit %d, a suggestion where none is close: %s%s", code, out, errOut)
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	for name := range commands {
		code, out, errOut := runCLI(t, name, "-h")
		if code != 0 || !strings.Contains(out, "usage: logtriage "+name) || errOut != "" {
			t.Errorf("%s -h: exit %d, stdout %q, stderr %q; want the usage on stdout only", name, code, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	// Test binaries carry the module's build info: "(devel)" and the Go version.
	if code != 0 || !strings.HasPrefix(out, "logtriage ") || !strings.Contains(out, " go1.") {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"serve", "serve", 0}, {"serv", "serve", 1}, {"alrets", "alerts", 1}, {"smilar", "similar", 1}, {"scan", "redact", 6 - 1}, {"", "abc", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
