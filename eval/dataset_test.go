package eval

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeDataset(t *testing.T, jsonl string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "dataset.jsonl")
	if err := os.WriteFile(path, []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDatasetRejects(t *testing.T) {
	logs := map[string]string{"logs/a.log": "password=hunter2\n"} // 17 bytes
	tests := []struct {
		name, jsonl, wantErr string
	}{
		{"unknown field", `{"id":"a","text":"x","severty":"high"}`, "unknown field"},
		{"missing id", `{"text":"x"}`, "without an id"},
		{"both file and text", `{"id":"a","text":"x","file":"logs/a.log"}`, "exactly one of file and text"},
		{"neither file nor text", `{"id":"a"}`, "exactly one of file and text"},
		{"duplicate id", "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}", `duplicate id "a"`},
		{"unknown finding type", `{"id":"a","text":"hunter2","findings":[{"type":"passwd","start":0,"end":7}]}`, `unknown finding type "passwd"`},
		{"span past the end", `{"id":"a","file":"logs/a.log","findings":[{"type":"password","start":9,"end":18}]}`, "outside content of 17 bytes"},
		{"empty span", `{"id":"a","text":"hunter2","findings":[{"type":"password","start":3,"end":3}]}`, "outside content"},
		{"negative start", `{"id":"a","text":"hunter2","findings":[{"type":"password","start":-1,"end":3}]}`, "outside content"},
		{"same span twice", `{"id":"a","text":"hunter2","findings":[{"type":"password","start":0,"end":7},{"type":"password","start":0,"end":7}]}`, "labelled twice"},
		{"file escaping the directory", `{"id":"a","file":"../etc/passwd"}`, "inside the dataset directory"},
		{"file is the parent directory", `{"id":"a","file":"logs/../.."}`, "inside the dataset directory"},
		{"absolute file", `{"id":"a","file":"/etc/passwd"}`, "inside the dataset directory"},
		{"missing file", `{"id":"a","file":"logs/nope.log"}`, "no such file"},
		{"not JSON", `{"id":"a",`, "unexpected EOF"},
		{"trailing data", `{"id":"a","text":"x"} {"id":"b"}`, "trailing data"},
		{"no cases", "\n\n", "no cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDataset(writeDataset(t, tt.jsonl, logs))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadDatasetAccepts(t *testing.T) {
	path := writeDataset(t, strings.Join([]string{
		`{"id":"a","file":"logs/a.log","tenant":"acme","findings":[{"type":"password","start":9,"end":16}],"severity":"high","category":"auth","queue":"identity","skills":["auth"],"key_lines":["password=hunter2"],"family":"f","injection":true,"no_problem":false,"notes":"n"}`,
		``,
		`{"id":"b","text":"nothing here","findings":[]}`,
		`{"id":"c","text":"not labelled for detection"}`,
	}, "\n"), map[string]string{"logs/a.log": "password=hunter2\n"})
	ds, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Cases) != 3 {
		t.Fatalf("%d cases, want 3", len(ds.Cases))
	}
	a, b, c := ds.Cases[0], ds.Cases[1], ds.Cases[2]
	content, err := ds.Content(a)
	if err != nil || string(content[9:16]) != "hunter2" {
		t.Fatalf("content %q, %v", content, err)
	}
	if !a.DetectionLabelled() || !b.DetectionLabelled() || c.DetectionLabelled() {
		t.Errorf("labelled: a %v b %v c %v, want true true false", a.DetectionLabelled(), b.DetectionLabelled(), c.DetectionLabelled())
	}
	if a.Tenant != "acme" || !a.Injection || a.Queue != "identity" || a.KeyLines[0] != "password=hunter2" {
		t.Errorf("fields not decoded: %+v", a)
	}
	if got, _ := ds.Content(b); string(got) != "nothing here" {
		t.Errorf("inline content %q", got)
	}
}

func TestContentDecompressesGzip(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("user=jane password=hunter2\n"))
	zw.Close()
	path := writeDataset(t, `{"id":"a","file":"logs/a.log.gz","findings":[{"type":"password","start":19,"end":26}]}`,
		map[string]string{"logs/a.log.gz": z.String()})
	ds, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	content, err := ds.Content(ds.Cases[0])
	if err != nil || string(content[19:26]) != "hunter2" {
		t.Fatalf("content %q, %v", content, err)
	}
	bad := writeDataset(t, `{"id":"a","file":"logs/a.log.gz"}`, map[string]string{"logs/a.log.gz": "not gzip"})
	if _, err := LoadDataset(bad); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("corrupt gzip: err = %v", err)
	}
}

func TestDatasetHashCoversReferencedFiles(t *testing.T) {
	jsonl := `{"id":"a","file":"logs/a.log"}`
	h1 := mustHash(t, writeDataset(t, jsonl, map[string]string{"logs/a.log": "one\n"}))
	h2 := mustHash(t, writeDataset(t, jsonl, map[string]string{"logs/a.log": "one\n"}))
	h3 := mustHash(t, writeDataset(t, jsonl, map[string]string{"logs/a.log": "two\n"}))
	if h1 != h2 {
		t.Error("same data hashed differently")
	}
	if h1 == h3 {
		t.Error("changing a referenced log did not change the hash")
	}
	if len(h1) != 64 {
		t.Errorf("hash %q is not hex sha256", h1)
	}
}

func mustHash(t *testing.T, path string) string {
	t.Helper()
	ds, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Hash()
}

// The committed datasets must load: a label typo there would otherwise only
// show up as a confusing eval failure.
func TestCommittedDatasetsLoad(t *testing.T) {
	for _, p := range []string{"datasets/triage/dataset.jsonl", "datasets/detection/dataset.jsonl", "datasets/detection/handwritten.jsonl"} {
		t.Run(p, func(t *testing.T) {
			ds, err := LoadDataset(p)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range ds.Cases {
				n += len(c.Findings)
			}
			t.Logf("%d cases, %d labelled findings, sha256 %s", len(ds.Cases), n, ds.Hash()[:12])
		})
	}
}

// FuzzLoadDataset: any dataset line is an error or a valid case, never a
// panic, and an accepted case's spans lie inside its content.
func FuzzLoadDataset(f *testing.F) {
	f.Add(`{"id":"a","text":"password=hunter2","findings":[{"type":"password","start":9,"end":16}]}`)
	f.Add(`{"id":"a","file":"logs/a.log","findings":[]}`)
	f.Add(`{"id":"a","text":"x","findings":null}`)
	f.Add("{\"id\":\"a\",\"text\":\"\\u0000\\n\"}\n{\"id\":\"b\",\"text\":\"y\"}")
	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("log line\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "dataset.jsonl")
	f.Fuzz(func(t *testing.T, jsonl string) {
		if err := os.WriteFile(path, []byte(jsonl), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := LoadDataset(path)
		if err != nil {
			return
		}
		for _, c := range ds.Cases {
			content, err := ds.Content(c)
			if err != nil {
				t.Fatalf("accepted case %s has unreadable content: %v", c.ID, err)
			}
			for _, s := range c.Findings {
				if s.Start < 0 || s.End > int64(len(content)) || s.Start >= s.End {
					t.Fatalf("accepted span %+v outside %d bytes", s, len(content))
				}
			}
		}
	})
}
