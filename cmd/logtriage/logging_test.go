package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeLogFlags(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("DATABASE_URL", "")
	for _, tc := range []struct{ args, want string }{
		{"--log-format yaml", `--log-format "yaml": want text or json`},
		{"--log-level loud", `--log-level "loud": want debug, info, warn or error`},
	} {
		code, _, errOut := runCLI(t, append([]string{"serve"}, strings.Fields(tc.args)...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %s: exit %d %q", tc.args, code, errOut)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	var logBuf serveLogBuffer
	done := make(chan int, 1)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freeServePort(t))
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "", "--data-dir", t.TempDir(), "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freeServePort(t)),
			"--http", httpAddr, "--log-format", "json", "--log-level", "warn"}, strings.NewReader(""), &bytes.Buffer{}, &logBuf)
	}()
	// At warn, "worker running" (info) is not logged: poll /readyz instead.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("serve not ready:\n%s", logBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logBuf.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logBuf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line: %q", line)
			continue
		}
		if rec["level"] == "INFO" || rec["level"] == "DEBUG" {
			t.Errorf("below --log-level warn: %q", line)
		}
	}
}

// A taken NATS port and a bad routing file are said at once, before the
// embedded server starts or the data dir is touched.
func TestServeFailsFast(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	code, _, errOut := runCLI(t, "serve", "--data-dir", t.TempDir(), "--nats-listen", ln.Addr().String(), "--http", "")
	if code != 2 || !strings.Contains(errOut, "address already in use") || time.Since(start) > 3*time.Second {
		t.Errorf("port taken: exit %d after %s: %s", code, time.Since(start), errOut)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	code, _, errOut = runCLI(t, "serve", "--data-dir", dataDir, "--routes", "/nonexistent/routes.json", "--http", "")
	if code != 2 || !strings.Contains(errOut, "--routes") {
		t.Errorf("bad routes: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("serve touched the data dir before checking --routes: %v", err)
	}
}

func TestPprofOnlyWhenAsked(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("m 1\n"))
	})
	for _, tc := range []struct {
		h    http.Handler
		path string
		code int
	}{
		{h, "/debug/pprof/", http.StatusNotFound},
		{withPprof(h), "/debug/pprof/", http.StatusOK},
		{withPprof(h), "/debug/pprof/goroutine?debug=1", http.StatusOK},
		{withPprof(h), "/metrics", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, rec.Code, tc.code)
		}
	}
}

// A second serve on a data dir in use stops before it touches anything.
func TestSecondServeOnADataDirStopsAtOnce(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dataDir := t.TempDir()
	unlock, err := lockDataDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, errOut := runCLI(t, "serve", "--data-dir", dataDir, "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freeServePort(t)), "--http", "")
	if code != 2 || !strings.Contains(errOut, "in use by another serve") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	for _, touched := range []string{"jetstream", "keys", "spool", "store"} {
		if _, err := os.Stat(filepath.Join(dataDir, touched)); !os.IsNotExist(err) {
			t.Errorf("the second serve made %s: %v", touched, err)
		}
	}
}
