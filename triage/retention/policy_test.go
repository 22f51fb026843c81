package retention

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * Day, true},
		{"0d", 0, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1.5d", 0, false},
		{"-3d", 0, false},
		{"-36h", 0, false},
		{"9999999999999d", 0, false},
		{"d", 0, false},
		{"30 days", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestLoadAndFor(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := Load(write("ok.json", `{"default": {"cases": "90d"}, "tenants": {"acme": {"raw": "7d"}, "globex": {"raw": "45d", "audit": "730d"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tenant string
		want   Windows
	}{
		{"other", Windows{Raw: Duration(30 * Day), Quarantined: Duration(7 * Day), Incomplete: Duration(Day), Cases: Duration(90 * Day), Audit: Duration(365 * Day)}},
		{"acme", Windows{Raw: Duration(7 * Day), Quarantined: Duration(7 * Day), Incomplete: Duration(Day), Cases: Duration(90 * Day), Audit: Duration(365 * Day)}},
		{"globex", Windows{Raw: Duration(45 * Day), Quarantined: Duration(7 * Day), Incomplete: Duration(Day), Cases: Duration(90 * Day), Audit: Duration(730 * Day)}},
	} {
		if got := p.For(tc.tenant); got != tc.want {
			t.Errorf("For(%s) = %+v, want %+v", tc.tenant, got, tc.want)
		}
	}
	if got := p.MaxRaw(); got != 45*Day {
		t.Errorf("MaxRaw = %s, want the longest raw window of any tenant (45d)", got)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := p.CaseDeleteAfter("acme", created); !got.Equal(created.Add(90 * Day)) {
		t.Errorf("CaseDeleteAfter = %s", got)
	}
	for st, want := range map[triage.Status]time.Duration{
		triage.StatusTriaged: 7 * Day, triage.StatusQuarantined: 7 * Day, triage.StatusFailed: Day, triage.StatusPending: Day, "": Day,
	} {
		if got := p.UploadDeleteAfter("acme", st, created); !got.Equal(created.Add(want)) {
			t.Errorf("UploadDeleteAfter(%q) = %s, want +%s", st, got, want)
		}
	}
	for name, body := range map[string]string{
		"unknown.json":  `{"default": {"raws": "30d"}}`,
		"badunit.json":  `{"default": {"raw": "30 days"}}`,
		"negative.json": `{"tenants": {"acme": {"cases": "-1h"}}}`,
		"notjson.json":  `raw: 30d`,
	} {
		if _, err := Load(write(name, body)); err == nil {
			t.Errorf("%s: %s loaded", name, body)
		}
	}
	if d := DefaultPolicy().For("x"); d != Defaults {
		t.Errorf("the default policy is %+v", d)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "36h", "1.5d", "-1d", "9999999999999d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Errorf("%q parsed to a negative window %s", s, d)
		}
	})
}
