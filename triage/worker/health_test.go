package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A consumer deleted from outside means nothing is delivered: /readyz
// says so instead of staying green.
func TestReadyzChecksTheConsumer(t *testing.T) {
	e := newEnv(t)
	rw := e.startWorker(e.pipeline(nil), nil)
	h := rw.w.Handler()
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	eventually(t, "/readyz 200", func() bool { code, body := get(); return code == http.StatusOK && body == "ready\n" })
	if err := e.js.DeleteConsumer(context.Background(), UploadsStream, WorkerConsumer); err != nil {
		t.Fatal(err)
	}
	code, body := get()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "consumer "+WorkerConsumer+": missing") {
		t.Errorf("/readyz after the consumer was deleted: %d %q", code, body)
	}
}
