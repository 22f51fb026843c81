package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnomaliesCommand(t *testing.T) {
	t.Setenv("LOGTRIAGE_FINGERPRINT_KEY", "anomalies-cli-test-key-not-secret")
	dir := t.TempDir()
	var healthy strings.Builder
	for i := range 60 {
		fmt.Fprintf(&healthy, "2026-03-02 10:%02d:00 INFO [main] app.Server: served %d requests in %dms\n", i, 100+i, 5+i%4)
		fmt.Fprintf(&healthy, "2026-03-02 10:%02d:30 INFO [jobs] app.Jobs: job %d finished\n", i, i)
	}
	hist := filepath.Join(dir, "history")
	if err := os.Mkdir(hist, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(path, content string) string {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write(filepath.Join(hist, "day1.log"), healthy.String())
	write(filepath.Join(hist, "day2.log"), healthy.String())
	same := write(filepath.Join(dir, "same.log"), healthy.String())
	broken := write(filepath.Join(dir, "broken.log"), healthy.String()+
		"2026-03-02 11:00:00 ERROR [main] app.Ledger: ledger replica rejected write, quorum lost\n")

	code, out, errOut := runCLI(t, "anomalies", "--history", hist, same)
	if code != 0 || !strings.Contains(out, "against 2 earlier upload(s)") || !strings.Contains(out, "no anomalies") {
		t.Fatalf("same log: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "anomalies", "--format", "json", "--history", hist, broken)
	if code != 1 {
		t.Fatalf("new error template: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	var rep anomaliesReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.HistoryUploads != 2 || len(rep.Anomalies) != 1 || !strings.Contains(rep.Anomalies[0].Template, "ledger replica rejected write") ||
		rep.Anomalies[0].Lines[0] != 121 {
		t.Errorf("report %+v: want one signal, the ledger template at line 121", rep)
	}
	// Without history nothing is new; a missing history file is an error.
	if code, out, _ := runCLI(t, "anomalies", broken); code != 0 {
		t.Errorf("no history: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "anomalies", "--history", filepath.Join(dir, "nope.log"), same); code != 2 {
		t.Errorf("missing history file: exit %d, want 2", code)
	}
}
