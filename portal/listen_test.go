package portal

import (
	"strings"
	"testing"
)

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		tls, insecure bool
		ok            bool
		note          string
	}{
		{"127.0.0.1:8080", false, false, true, "loopback only"},
		{"[::1]:8080", false, false, true, "loopback only"},
		{"localhost:8080", false, false, true, "loopback only"},
		{"0.0.0.0:8080", false, false, false, ""},
		{":8080", false, false, false, ""}, // all interfaces
		{"10.1.2.3:8080", false, false, false, ""},
		{"0.0.0.0:8080", true, false, true, "TLS"},
		{"0.0.0.0:8080", false, true, true, "WARNING"},
		{"nonsense", false, false, false, ""},
	} {
		note, err := CheckListen(tc.addr, tc.tls, tc.insecure)
		if (err == nil) != tc.ok || !strings.Contains(note, tc.note) {
			t.Errorf("CheckListen(%q, tls=%v, insecure=%v) = %q, %v", tc.addr, tc.tls, tc.insecure, note, err)
		}
	}
}
