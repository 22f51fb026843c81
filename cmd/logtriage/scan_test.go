package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/internal/keyring"
)

// plantedLog returns log text with known values and where they are.
func plantedLog() (string, map[string]string) {
	tok := "ghp_" + strings.Repeat("aB3dE5", 6)
	text := "2024-05-01 INFO start\r\n" +
		"user jane.doe@example.com paid with 4111 1111 1111 1111\r\n" +
		"export GITHUB_TOKEN=" + tok + "\n" +
		"done\n"
	return text, map[string]string{
		"email":        "jane.doe@example.com",
		"credit_card":  "4111 1111 1111 1111",
		"github_token": tok,
	}
}

func runScanCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeScanFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestScanJSONLOffsetsIntoDecompressedContent(t *testing.T) {
	setTestFingerprintKey(t)
	text, want := plantedLog()
	for _, name := range []string{"app.log", "app.log.gz"} {
		data := []byte(text)
		if strings.HasSuffix(name, ".gz") {
			data = gzipBytes(t, text)
		}
		path := writeScanFile(t, name, data)
		code, out, stderr := runScanCLI(t, "", "scan", "--format", "jsonl", path)
		if code != 1 {
			t.Fatalf("%s: exit %d, stderr %s", name, code, stderr)
		}
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("bad jsonl line %q: %v", line, err)
			}
			for _, k := range []string{"file", "type", "category", "start", "end", "line", "confidence", "fingerprint"} {
				if _, ok := m[k]; !ok {
					t.Errorf("jsonl line lacks %q: %s", k, line)
				}
			}
			if m["file"] != path {
				t.Errorf("file = %v, want the path as given", m["file"])
			}
			start, end := int(m["start"].(float64)), int(m["end"].(float64))
			got[m["type"].(string)] = text[start:end]
			if strings.Contains(line, text[start:end]) {
				t.Errorf("raw value in scan output: %s", line)
			}
		}
		for typ, v := range want {
			if got[typ] != v {
				t.Errorf("%s: %s = %q, want %q", name, typ, got[typ], v)
			}
		}
	}
}

func TestScanExitCodesAndErrors(t *testing.T) {
	setTestFingerprintKey(t)
	clean := writeScanFile(t, "clean.log", []byte("nothing to see\n"))
	bin := writeScanFile(t, "core.bin", []byte{0x7f, 'E', 'L', 'F', 0, 0, 1})
	badCfg := writeScanFile(t, "rules.json", []byte(`{"rules":[{"id":"acme","regex":"(a)(b)"}]}`))
	empty := writeScanFile(t, "empty.log", nil)
	latin1 := writeScanFile(t, "latin1.log", []byte("caf\xe9 \xff\xfe user bob@example.com\n"))
	cases := []struct {
		args      []string
		stdin     string
		code      int
		stdout    string
		stderrHas string
	}{
		{args: []string{"scan", clean}, code: 0, stdout: "no findings"},
		{args: []string{"scan", "-"}, stdin: "mail bob@example.com\n", code: 1, stdout: "-:1:6: email [EMAIL:"},
		{args: []string{"scan", filepath.Join(t.TempDir(), "missing.log")}, code: 2, stderrHas: "no such file"},
		{args: []string{"scan", bin}, code: 2, stderrHas: "binary file, not scanned"},
		{args: []string{"scan", "--config", badCfg, clean}, code: 2, stderrHas: `rule "acme"`},
		{args: []string{"scan", "--format", "xml", clean}, code: 2, stderrHas: "unknown format"},
		{args: []string{"scan"}, stdin: "mail bob@example.com\n", code: 1, stdout: "-:1:6: email"}, // no PATH: stdin, as redact
		{args: []string{"scan", clean, "--format", "jsonl"}, code: 0},
		{args: []string{"scan", empty}, code: 0, stdout: "no findings"},
		{args: []string{"scan", latin1}, code: 1, stdout: "latin1.log:1:14: email"},
	}
	for _, c := range cases {
		code, out, stderr := runScanCLI(t, c.stdin, c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(stderr, c.stderrHas) {
			t.Errorf("%v: exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", c.args, code, c.code, out, c.stdout, stderr, c.stderrHas)
		}
	}
}

func TestScanJSONAndSARIF(t *testing.T) {
	setTestFingerprintKey(t)
	text, want := plantedLog()
	path := writeScanFile(t, "app.log", []byte(text))

	code, out, _ := runScanCLI(t, "", "scan", "--format", "json", path)
	var rep struct {
		Findings []map[string]any `json:"findings"`
		Counts   map[string]int   `json:"counts"`
		Total    int              `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("json: exit %d, %v: %s", code, err, out)
	}
	if rep.Total != len(want) || len(rep.Findings) != len(want) || rep.Counts["email"] != 1 {
		t.Errorf("json report: %+v", rep)
	}

	code, out, _ = runScanCLI(t, "", "scan", "--format", "sarif", path)
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Locations []struct {
					PhysicalLocation struct {
						Region struct {
							StartLine  int `json:"startLine"`
							ByteOffset int `json:"byteOffset"`
							ByteLength int `json:"byteLength"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || code != 1 {
		t.Fatalf("sarif: exit %d, %v", code, err)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != len(want) {
		t.Fatalf("sarif: %+v", sarif)
	}
	run := sarif.Runs[0]
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d does not point at %s", r.RuleIndex, r.RuleID)
		}
		reg := r.Locations[0].PhysicalLocation.Region
		if got := text[reg.ByteOffset : reg.ByteOffset+reg.ByteLength]; got != want[r.RuleID] {
			t.Errorf("%s region covers %q", r.RuleID, got)
		}
	}
}

func TestFingerprintKeyFromEnvAndFile(t *testing.T) {
	fp := func(args ...string) string {
		_, out, _ := runScanCLI(t, "mail bob@example.com\n", append([]string{"scan", "--format", "jsonl"}, append(args, "-")...)...)
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		s, _ := m["fingerprint"].(string)
		return s
	}
	one, two := keyring.EncodeKey(keyring.Random(32)), keyring.EncodeKey(keyring.Random(32))
	t.Setenv("LOGTRIAGE_FINGERPRINT_KEY", one)
	a := fp()
	t.Setenv("LOGTRIAGE_FINGERPRINT_KEY", two)
	b := fp()
	keyFile := writeScanFile(t, "key", []byte(one+"\n"))
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	c := fp("--key-file", keyFile)
	if a == "" || a == b || a != c {
		t.Errorf("fingerprints: env one %q, env two %q, file one %q", a, b, c)
	}
}

func TestScanWalksDirectories(t *testing.T) {
	setTestFingerprintKey(t)
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "app"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "testdata"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "app", "a.log"), []byte("mail bob@example.com\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "app", "core"), []byte{0, 1, 2}, 0o644))
	must(os.WriteFile(filepath.Join(dir, "testdata", "fixture.log"), []byte("mail eve@example.com\n"), 0o644))
	cfg := writeScanFile(t, "cfg.json", []byte(`{"allow":{"paths":["**/testdata/**"]}}`))
	code, out, stderr := runScanCLI(t, "", "scan", "--config", cfg, "--format", "json", dir)
	var rep struct {
		Files []struct {
			File, Skipped string
			Findings      int
		} `json:"files"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Total != 1 {
		t.Fatalf("exit %d, %v, %s, stderr %s", code, err, out, stderr)
	}
	skipped := map[string]string{}
	for _, f := range rep.Files {
		skipped[filepath.Base(f.File)] = f.Skipped
	}
	if !strings.HasPrefix(skipped["core"], "binary file, not scanned (") || skipped["a.log"] != "" {
		t.Errorf("files: %+v", rep.Files)
	}
	if _, seen := skipped["fixture.log"]; seen {
		t.Errorf("allow-listed directory was walked: %+v", rep.Files)
	}
}
