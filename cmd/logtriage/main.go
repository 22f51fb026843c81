// Command logtriage finds and redacts PII and secrets in logs and triages them
// into routed support cases. Each subcommand lives in its own file and
// registers itself in commands; only this package parses flags or exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run returns the process exit code; errors it
// prints itself so each command controls its own exit-code contract
// (scan: 0 clean, 1 findings, 2 error).
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("duplicate command " + name)
	}
	commands[name] = c
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: logtriage COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'logtriage COMMAND -h' for a command's flags.")
}

// parseExit is the exit code after a flag parse error: -h/--help asked for
// the usage, which is not an error.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// flagGiven reports whether the flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "logtriage: unknown command %q%s\n\n", args[0], didYouMean(args[0]))
		usage(stderr)
		return 2
	}
	if asksHelp(args[1:]) {
		// Asked-for help is output, not an error: it goes to stdout.
		return c.run(ctx, args[1:], stdin, stdout, stdout)
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

// newFlagSet is a command's flag set: errors and usage go to stderr, the
// usage line first, then the flags, then any notes.
func newFlagSet(stderr io.Writer, name, usage string, notes ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
		for _, n := range notes {
			fmt.Fprintln(stderr, n)
		}
	}
	return fs
}
