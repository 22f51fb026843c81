package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
)

// The config file is serve's flags written down, one `name = value` a line
// (# comments, blank lines; values may be quoted). What it sets is the
// default that the environment and then the command line override:
// default < file < environment < flag.

// envOfFlag finds the environment variable a flag's usage names ("(env X)").
var envOfFlag = regexp.MustCompile(`\(env ([A-Z][A-Z0-9_]*)`)

// applyConfigFile sets, from the file at path, every flag that neither the
// command line nor its environment variable set. It returns where each
// flag's value came from.
func applyConfigFile(fs *flag.FlagSet, path string, getenv func(string) string) (map[string]string, error) {
	source := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		source[f.Name] = "default"
		if m := envOfFlag.FindStringSubmatch(f.Usage); m != nil && getenv(m[1]) != "" {
			source[f.Name] = "env " + m[1]
		}
	})
	fs.Visit(func(f *flag.Flag) { source[f.Name] = "flag" })
	if path == "" {
		return source, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return source, fmt.Errorf("config file: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return source, fmt.Errorf("config file %s:%d: want name = value", path, n)
		}
		if len(value) >= 2 && (value[0] == '"' && value[len(value)-1] == '"' || value[0] == '\'' && value[len(value)-1] == '\'') {
			value = value[1 : len(value)-1]
		}
		f := fs.Lookup(strings.TrimPrefix(name, "--"))
		if f == nil || f.Name == "config-file" || f.Name == "print-config" {
			return source, fmt.Errorf("config file %s:%d: %q is not a serve setting%s", path, n, name, didYouMeanFlag(fs, name))
		}
		if source[f.Name] != "default" {
			continue // the environment or the command line wins
		}
		if err := fs.Set(f.Name, value); err != nil {
			return source, fmt.Errorf("config file %s:%d: %s: %w", path, n, f.Name, err)
		}
		source[f.Name] = "file"
	}
	return source, sc.Err()
}

func didYouMeanFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// secretish names flags whose values must not be printed whole.
var secretish = regexp.MustCompile(`(?i)(password|secret|token|api-key|key$)`)

// printConfig writes every setting with its source, in config-file syntax
// (so the output can start a config file), secrets masked: passwords in
// URLs, key material; key files are paths and print as they are. The LLM
// key, which only comes from the environment, is shown as set or not.
func printConfig(w io.Writer, fs *flag.FlagSet, source map[string]string, getenv func(string) string) {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "print-config" {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	for _, name := range names {
		f := fs.Lookup(name)
		fmt.Fprintf(w, "%s = %q  # %s\n", name, maskValue(name, f.Value.String()), source[name])
	}
	for _, env := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "LOGTRIAGE_LLM_MODEL", "LOGTRIAGE_EMBEDDER", "LOGTRIAGE_EMBEDDING_MODEL"} {
		v := getenv(env)
		switch {
		case v == "":
			v = "(unset)"
		case env == "OPENAI_API_KEY":
			v = "(set, masked)"
		default:
			v = maskValue(env, v)
		}
		fmt.Fprintf(w, "# %s: %s\n", env, v)
	}
}

func maskValue(name, v string) string {
	if v == "" {
		return v
	}
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		for k := range q {
			if secretish.MatchString(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	if secretish.MatchString(name) && !strings.HasSuffix(name, "-file") {
		return "(set, masked)"
	}
	return v
}
