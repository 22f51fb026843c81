package httpretry

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		header map[string]string
		want   time.Duration
	}{
		{map[string]string{"retry-after-ms": "250", "Retry-After": "3"}, 250 * time.Millisecond},
		{map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(7 * time.Second).Format(httpTime)}, 7 * time.Second},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(httpTime)}, 0},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"retry-after-ms": "-5"}, 0},
		{nil, 0},
	}
	for _, tc := range tests {
		var h http.Header
		if tc.header != nil {
			h = http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
		}
		if got := RetryAfter(h, now); got != tc.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

const httpTime = http.TimeFormat

func TestBackoff(t *testing.T) {
	for attempt, hi := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 9: time.Second, 80: time.Second} {
		for range 50 {
			if d := Backoff(100*time.Millisecond, time.Second, attempt); d < hi/2 || d > hi {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
}
