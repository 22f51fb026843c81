package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The config file sets serve's defaults; the environment and flags win;
// --print-config shows each setting and its source with secrets masked.
func TestServeConfigFileAndPrintConfig(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_BUDGET", "")
	t.Setenv("OPENAI_API_KEY", "sk-test-"+strings.Repeat("z", 20))
	t.Setenv("LOGTRIAGE_WORKERS", "")
	cfgFile := filepath.Join(t.TempDir(), "serve.conf")
	os.WriteFile(cfgFile, []byte(`# serve settings
workers = 7
database-url = "postgres://app:hunter2-secret@db.internal:5432/logtriage?sslmode=require"
llm-budget = 9s
log-format = json
shutdown-grace = 11s
`), 0o600)
	t.Setenv("LOGTRIAGE_LOG_FORMAT", "text") // the environment beats the file
	code, out, errOut := runCLI(t, "serve", "--config-file", cfgFile, "--shutdown-grace", "12s", "--print-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`workers = "7"  # file`,
		`database-url = "postgres://app:xxxxx@db.internal:5432/logtriage?sslmode=require"  # file`,
		`llm-budget = "9s"  # file`,
		`log-format = "text"  # env LOGTRIAGE_LOG_FORMAT`,
		`shutdown-grace = "12s"  # flag`,
		`# OPENAI_API_KEY: (set, masked)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "zzzz") {
		t.Errorf("--print-config shows a secret:\n%s", out)
	}

	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("wokers = 3\n"), 0o600)
	if code, _, errOut := runCLI(t, "serve", "--config-file", bad, "--print-config"); code != 2 || !strings.Contains(errOut, `"wokers" is not a serve setting (did you mean "workers"?)`) {
		t.Errorf("unknown setting: exit %d: %s", code, errOut)
	}
}
