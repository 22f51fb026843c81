package main

import (
	"net/http"
	"net/http/pprof"
)

// withPprof adds Go's profiler under /debug/pprof/ to the metrics
// listener's handler. Off by default (--pprof): profiles show code paths
// and timings, and the listener is loopback-only unless --http says
// otherwise.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
