package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

func init() {
	register("version", command{summary: "print the version, commit and Go version of this binary", run: runVersion})
}

// runVersion prints what the binary was built from, as the Go toolchain
// recorded it: the module version (a tag with `go install …@vX`), the VCS
// revision and time of a build in a checkout, and the Go version.
func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "version", "usage: logtriage version")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(fs.Args(), fs.NArg() == 0, "no arguments")); code >= 0 {
		return code
	}
	fmt.Fprintln(stdout, versionLine())
	return 0
}

func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "logtriage (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	line := "logtriage " + version
	if rev != "" {
		line += " commit " + rev[:min(len(rev), 12)] + dirty
	}
	if when != "" {
		line += " built from a commit of " + when
	}
	return line + " " + bi.GoVersion
}
