// Package httpretry holds the waits between attempts that the LLM client
// and the embeddings client share: jittered exponential backoff and the
// server's own Retry-After.
package httpretry

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Backoff is exponential with jitter: attempt n waits a random time in
// [d/2, d] with d = base * 2^(n-1), capped at max.
func Backoff(base, max time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 30)
	if d <= 0 || d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

// RetryAfter reads the server's wait: OpenAI's retry-after-ms first (exact),
// then Retry-After in seconds or as an HTTP date. Zero means none given.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
