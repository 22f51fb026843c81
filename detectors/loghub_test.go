package detectors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// loghubDir holds real production logs (LogPai loghub samples). The test is
// skipped where they are not present; set LOGHUB_DIR to point elsewhere.
func loghubDir() string {
	if d := os.Getenv("LOGHUB_DIR"); d != "" {
		return d
	}
	return "/work/shared/loghub"
}

// loghubTruePositives are the non-IP findings in the loghub samples that are
// real personal data, checked by hand: both are e-mail addresses of people
// or build accounts. Anything else found there is a false positive.
var loghubTruePositives = map[string][]string{
	"Linux_2k.log:1911": {"bhcompile@bugs.build.redhat.com"},
	"Mac_2k.log:1580":   {"xpc_ben@163.com", "xpc_ben%40163.com"}, // the second percent-encoded in a URL
}

// TestLoghubPrecision: on real logs, everything but IP addresses and the
// hand-checked e-mails above is noise.
func TestLoghubPrecision(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(loghubDir(), "*.log"))
	if len(files) == 0 {
		t.Skip("no loghub logs at", loghubDir())
	}
	e := testEngine(t)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ip, other int
		for _, fd := range e.ScanBytes(data) {
			if fd.Type == TypeIPAddress {
				ip++
				continue
			}
			other++
			if slices.Contains(loghubTruePositives[fmt.Sprintf("%s:%d", filepath.Base(f), fd.Line)], string(data[fd.Start:fd.End])) {
				continue
			}
			t.Errorf("%s:%d: %s %q", filepath.Base(f), fd.Line, fd.Type, data[fd.Start:fd.End])
		}
		mb := float64(len(data)) / (1 << 20)
		t.Logf("%-22s %6.2f MB  non-IP %d (%.1f/MB)  IP %d (%.1f/MB)", filepath.Base(f), mb, other, float64(other)/mb, ip, float64(ip)/mb)
	}
}
