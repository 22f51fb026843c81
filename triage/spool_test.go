package triage

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A zip is spooled in the configured dir and, where the system allows,
// unlinked at once: while it is being read the dir holds nothing a kill
// could leave behind.
func TestZipSpoolLeavesNothingOnDisk(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.log")
	io.WriteString(w, "ERROR card 4111 1111 1111 1111\n")
	zw.Close()
	dir := t.TempDir()
	o, err := Open(context.Background(), bytes.NewReader(buf.Bytes()), "logs.zip", OpenLimits{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(o); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if runtime.GOOS != "windows" && len(left) != 0 {
		t.Errorf("spool dir holds %d file(s) while the zip is open", len(left))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool dir holds %d file(s) after Close", len(left))
	}
}

func TestSweepSpool(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"logtriage-zip-123", "logtriage-zip-456", "store.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("raw"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "logtriage-zip-dir"), 0o700)
	n, err := SweepSpool(dir)
	if err != nil || n != 2 {
		t.Fatalf("SweepSpool = %d, %v; want 2", n, err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != "logtriage-zip-dir" || names[1] != "store.log" {
		t.Errorf("left %v, want the directory and store.log", names)
	}
	if n, err := SweepSpool(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("missing dir: %d, %v", n, err)
	}
}
