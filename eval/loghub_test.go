package eval

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loghubDir holds real production logs (Loghub samples) shared next to the
// checkout; LOGTRIAGE_LOGHUB overrides it.
func loghubDir() string {
	if d := os.Getenv("LOGTRIAGE_LOGHUB"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "loghub")
}

// maxNonIPPerMB: non-IP findings in these logs are false positives (they hold
// no secrets, and no PII but IP addresses and the few addresses below), at
// most 1 per 10 MB.
const maxNonIPPerMB = 0.1

// loghubPII are the genuine non-IP PII in the Loghub samples, checked by hand
// (file:line:type). Finding them is right, so they are not counted against
// the detector; they are not required either (the corpus gates recall).
var loghubPII = map[string]bool{
	"Linux_2k.log:1911:email": true, // kernel banner: bhcompile@bugs.build.redhat.com
	"Mac_2k.log:607:email":    true, // CardDAV URL userinfo, percent-encoded address at 163.com
	"Mac_2k.log:1393:email":   true, // same account
	"Mac_2k.log:1580:email":   true, // CalDAV account xpc_ben at 163.com (raw and %40-encoded)
}

// TestLoghubFalsePositives scans real logs of many systems (HDFS, Hadoop,
// BGL, Android, Apache, Linux, Mac, HealthApp) and bounds false positives.
// IP addresses are real PII there and are reported, not gated.
func TestLoghubFalsePositives(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(loghubDir(), "*.log"))
	if len(files) == 0 {
		t.Skipf("no Loghub logs in %s (set LOGTRIAGE_LOGHUB)", loghubDir())
	}
	eng := testEngine(t)
	var size int64
	byType := map[string]int{}
	var examples []string
	nonIP, knownPII := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		size += int64(len(data))
		perFile := map[string]int{}
		for _, fd := range engineSpans(eng, data) {
			byType[fd.Type]++
			perFile[fd.Type]++
			line := 1 + bytes.Count(data[:fd.Start], []byte("\n"))
			switch {
			case fd.Type == "ip_address":
			case loghubPII[fmt.Sprintf("%s:%d:%s", filepath.Base(f), line, fd.Type)]:
				knownPII++
			default:
				nonIP++
				if len(examples) < 25 {
					examples = append(examples, locateLine(filepath.Base(f), fd, data))
				}
			}
		}
		t.Logf("%-18s %7.2f MB  %s", filepath.Base(f), float64(len(data))/1e6, countsString(perFile))
	}
	mb := float64(size) / 1e6
	var lines []string
	for _, typ := range sortedKeys(byType) {
		lines = append(lines, fmt.Sprintf("  %-22s %6d  %8.2f/MB", typ, byType[typ], float64(byType[typ])/mb))
	}
	t.Logf("%d files, %.2f MB; findings by type:\n%s\n  known genuine PII: %d\n  other non-IP: %d (%.2f/MB, allowed %.2f/MB)", len(files), mb, strings.Join(lines, "\n"), knownPII, nonIP, float64(nonIP)/mb, maxNonIPPerMB)
	if float64(nonIP) > maxNonIPPerMB*mb {
		t.Errorf("%d non-IP findings in %.2f MB of Loghub logs (allowed %.2f); first ones:\n%s", nonIP, mb, maxNonIPPerMB*mb, strings.Join(examples, "\n"))
	}
}

func locateLine(name string, s Span, data []byte) string {
	m := locate("FP", Case{ID: name}, s, data)
	return fmt.Sprintf("  %-22s %s  %s", s.Type, m.where, m.context)
}

func countsString(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "no findings"
	}
	return strings.Join(parts, " ")
}
