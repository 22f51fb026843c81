package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// logFlags are --log-format and --log-level (defaults from
// LOGTRIAGE_LOG_FORMAT and LOGTRIAGE_LOG_LEVEL).
type logFlags struct {
	format, level string
}

func (f *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "log-format", envOr("LOGTRIAGE_LOG_FORMAT", "text"), "log format: text or json (env LOGTRIAGE_LOG_FORMAT)")
	fs.StringVar(&f.level, "log-level", envOr("LOGTRIAGE_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env LOGTRIAGE_LOG_LEVEL)")
}

// problems are the usage problems of the values given.
func (f *logFlags) problems() []problem {
	var lvl slog.Level
	return []problem{
		{f.format != "text" && f.format != "json", fmt.Sprintf("--log-format %q: want text or json", f.format)},
		{lvl.UnmarshalText([]byte(f.level)) != nil, fmt.Sprintf("--log-level %q: want debug, info, warn or error", f.level)},
	}
}

// logger is the logger the flags select, writing to w.
func (f *logFlags) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToLower(f.level))) // checked by problems
	opts := &slog.HandlerOptions{Level: lvl}
	if f.format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
