package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logtriage/logtriage/portal/apiclient"
)

func init() {
	register("login", command{summary: "get an API token by approving this device in the portal (login --api URL)", run: runLogin})
}

// tokenFile is where `login` keeps the token and `submit --api` finds it.
func tokenFile() string {
	if p := os.Getenv("LOGTRIAGE_TOKEN_FILE"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "logtriage", "token")
}

func readTokenFile() string {
	b, err := os.ReadFile(tokenFile())
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func runLogin(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "login", "usage: logtriage login --api URL",
		"Prints a code to approve at URL/device where you are signed in; the token is saved (0600) for submit --api.")
	api := fs.String("api", os.Getenv("LOGTRIAGE_API"), "the portal's URL (env LOGTRIAGE_API)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *api == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	c := &apiclient.Client{BaseURL: *api}
	dc, err := c.StartDevice(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "logtriage login:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Open %s and enter the code %s\n(or open %s)\n", dc.VerificationURI, dc.UserCode, dc.VerificationURIComplete)
	pctx, cancel := context.WithTimeout(ctx, time.Duration(dc.ExpiresIn)*time.Second)
	defer cancel()
	tok, err := c.PollDevice(pctx, dc)
	if errors.Is(err, apiclient.ErrDenied) {
		fmt.Fprintln(stderr, "logtriage login: denied in the portal")
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "logtriage login:", err)
		return 1
	}
	path := tokenFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		fmt.Fprintln(stderr, "logtriage login:", err)
		return 1
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		fmt.Fprintln(stderr, "logtriage login:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Signed in; the token is in %s (submit --api uses it)\n", path)
	return 0
}
