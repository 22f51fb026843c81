package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// scan, redact and triage read the same inputs the same way: a file, stdin,
// gzip, zip and tar.gz, through one opener.
func TestOneOpenerForEveryReader(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("LOGTRIAGE_LLM_PII", "")
	email := "dana." + strings.Repeat("w", 4) + "@example.org"
	log := "2026-01-05 10:00:00 ERROR login failed for " + email + "\n"

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("logs/app.log")
	w.Write([]byte(log))
	zw.Close()
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "var/log/app.log", Mode: 0o600, Size: int64(len(log))})
	tw.Write([]byte(log))
	tw.Close()
	gz.Close()
	var gzOnly bytes.Buffer
	g := gzip.NewWriter(&gzOnly)
	g.Write([]byte(log))
	g.Close()

	inputs := map[string][]byte{"app.log": []byte(log), "app.log.gz": gzOnly.Bytes(), "logs.zip": zbuf.Bytes(), "logs.tgz": tgz.Bytes()}
	for name, content := range inputs {
		path := writeScanFile(t, name, content)
		for _, via := range []string{"file", "stdin"} {
			arg, stdin := path, ""
			if via == "stdin" {
				arg, stdin = "-", string(content)
			}
			if code, out, errOut := runScanCLI(t, stdin, "scan", "--format", "jsonl", arg); code != 1 || !strings.Contains(out, `"type":"email"`) {
				t.Errorf("scan %s via %s: exit %d, %s%s", name, via, code, out, errOut)
			}
			code, out, errOut := runScanCLI(t, stdin, "redact", arg)
			if code != 0 || strings.Contains(out, email) || !strings.Contains(out, "[EMAIL") {
				t.Errorf("redact %s via %s: exit %d, %q %s", name, via, code, out, errOut)
			}
			code, out, errOut = runScanCLI(t, stdin, "triage", "--format", "json", arg)
			var c triage.Case
			if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.Status != triage.StatusTriaged || len(c.Findings) == 0 || c.Findings[0].Type != "email" {
				t.Errorf("triage %s via %s: exit %d, status %q findings %+v %s", name, via, code, c.Status, c.Findings, errOut)
			}
		}
	}
}
