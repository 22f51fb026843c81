package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// problem is one way a command line can be wrong: when bad holds, reason
// says what to fix.
type problem struct {
	bad    bool
	reason string
}

// usageProblem prints the first problem that holds, then the usage, and
// returns 2; it returns -1 when there is none. A usage dump alone does not
// tell which of twenty flags was wrong.
func usageProblem(fs *flag.FlagSet, stderr io.Writer, problems ...problem) int {
	for _, p := range problems {
		if p.bad {
			fmt.Fprintf(stderr, "logtriage %s: %s\n\n", fs.Name(), p.reason)
			fs.Usage()
			return 2
		}
	}
	return -1
}

// formatProblem is the problem of a --format value outside allowed.
func formatProblem(format string, allowed ...string) problem {
	return problem{!slices.Contains(allowed, format), fmt.Sprintf("--format %q: want %s", format, strings.Join(allowed, " or "))}
}

// argsProblem is the problem of a wrong number of arguments: want says
// what the command takes ("one FILE", "no arguments").
func argsProblem(got []string, ok bool, want string) problem {
	switch {
	case ok:
		return problem{}
	case len(got) == 0:
		return problem{true, "missing argument: want " + want}
	default:
		return problem{true, fmt.Sprintf("%d argument(s) (%s): want %s", len(got), strings.Join(quoteAll(got), " "), want)}
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
