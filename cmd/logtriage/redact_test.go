package main

import (
	"strings"
	"testing"
)

func TestRedactCommand(t *testing.T) {
	setTestFingerprintKey(t)
	text, planted := plantedLog()
	for _, name := range []string{"app.log", "app.log.gz"} {
		data := []byte(text)
		if strings.HasSuffix(name, ".gz") {
			data = gzipBytes(t, text)
		}
		path := writeScanFile(t, name, data)
		code, out, stderr := runScanCLI(t, "", "redact", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		for typ, v := range planted {
			if strings.Contains(out, v) {
				t.Errorf("%s: %s value survived", name, typ)
			}
			if !strings.Contains(out, "["+strings.ToUpper(typ)+":") {
				t.Errorf("%s: no %s placeholder in %q", name, typ, out)
			}
		}
		if strings.Count(out, "\r\n") != 2 || strings.Count(out, "\n") != 4 || !strings.HasPrefix(out, "2024-05-01 INFO start\r\n") {
			t.Errorf("%s: line endings not preserved: %q", name, out)
		}
	}

	code, out, _ := runScanCLI(t, "card 4111 1111 1111 1111\n", "redact", "--mode", "credit_card=partial", "-")
	if code != 0 || out != "card ****1111\n" {
		t.Errorf("partial mode: exit %d, %q", code, out)
	}
	if code, _, stderr := runScanCLI(t, "", "redact", "--mode", "email=blur", "-"); code != 2 || !strings.Contains(stderr, "unknown mode") {
		t.Errorf("bad mode: exit %d, %q", code, stderr)
	}
	bin := writeScanFile(t, "x.bin", []byte("\x00\x01\x02"))
	if code, _, stderr := runScanCLI(t, "", "redact", bin); code != 2 || !strings.Contains(stderr, "binary file") {
		t.Errorf("binary: exit %d, %q", code, stderr)
	}
}
