package triage

import "testing"

// Internals the external tests (package triage_test, which may import
// triage/rules) reach.

var GuardInjection = guardInjection

// ZipFile is a zip archive of one member.
func ZipFile(t testing.TB, name string, body []byte, encrypted bool) []byte {
	return zipball(t, zipEntry{name: name, body: body, encrypted: encrypted})
}

// LogOfSize is the synthetic service log cut to about n bytes.
func LogOfSize(n int) []byte { return logOfSize(n) }

// Gz gzips b.
func Gz(t testing.TB, b []byte) []byte { return gz(t, b) }

// TarFiles is a tar archive of regular files, name then body.
func TarFiles(t testing.TB, nameBody ...string) []byte {
	var entries []tarEntry
	for i := 0; i+1 < len(nameBody); i += 2 {
		entries = append(entries, tarEntry{name: nameBody[i], body: []byte(nameBody[i+1])})
	}
	return tarball(t, entries...)
}

var ClassifierReasons = classifierReasons
