//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteOutput(t *testing.T) {
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	dir := t.TempDir()

	// Missing parent directories are made.
	nested := filepath.Join(dir, "eval", "out", "report.html")
	if err := writeOutput(nested, write("report")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(nested); string(b) != "report" {
		t.Errorf("nested file = %q", b)
	}
	// An existing file is replaced whole and keeps its mode; no temp file stays.
	os.Chmod(nested, 0o600)
	if err := writeOutput(nested, write("second")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(nested)
	if b, _ := os.ReadFile(nested); string(b) != "second" || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten file = %q mode %v", b, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(nested)); len(entries) != 1 {
		t.Errorf("%d entries beside the report, want only it", len(entries))
	}

	// A symlink is refused and left as it is, and so is its target.
	target := filepath.Join(dir, "target.json")
	os.WriteFile(target, []byte("baseline"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := writeOutput(link, write("x")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlink: err = %v", err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "baseline" {
		t.Errorf("target = %q", b)
	}

	// A FIFO (as /dev/null or a pipe) is written through, not replaced.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := writeOutput(fifo, write("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("read from the FIFO: %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced by a regular file")
	}
	if err := writeOutput(dir, write("x")); err == nil {
		t.Error("a directory as output: no error")
	}
}
