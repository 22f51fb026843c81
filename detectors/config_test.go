package detectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCustomRulesAndAllowLists(t *testing.T) {
	acme := "acme_" + fake("acme", 32, alnum)
	cfg, err := ParseConfig([]byte(`{
	  "rules": [
	    {"id": "acme-key", "type": "acme_api_key", "keywords": ["acme_"], "regex": "key=(acme_[A-Za-z0-9]{32})\\b", "validator": "entropy>=3.5", "confidence": 0.9},
	    {"id": "employee-id", "category": "pii", "regex": "\\bEMP-[0-9]{6}\\b"}
	  ],
	  "allow": {
	    "values": ["jane@example.com"],
	    "regexes": ["^10\\.0\\."],
	    "paths": ["testdata/**", "**/*.golden"]
	  },
	  "modes": {"acme_api_key": "mask"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{FingerprintKey: []byte("k"), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	in := "key=" + acme + " by EMP-123456 mail jane@example.com bob@example.com ip 10.0.0.1 10.1.0.1"
	got := map[string]string{}
	for _, f := range e.ScanBytes([]byte(in)) {
		got[f.Type] += in[f.Start:f.End] + ";"
	}
	want := map[string]string{"acme_api_key": acme + ";", "employee-id": "EMP-123456;", "email": "bob@example.com;", "ip_address": "10.1.0.1;"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	if fs := e.ScanBytes([]byte("key=acme_" + strings.Repeat("a", 32))); len(fs) != 0 {
		t.Errorf("low-entropy value passed the entropy validator: %v", fs)
	}
	for path, allowed := range map[string]bool{"testdata/a/b.log": true, "x/y.golden": true, "logs/app.log": false} {
		if e.PathAllowed(path) != allowed {
			t.Errorf("PathAllowed(%q) = %v", path, !allowed)
		}
	}

	// Fingerprint allow-list: a finding accepted once stays quiet.
	fp := e.ScanBytes([]byte("mail bob@example.com"))[0].Fingerprint
	cfg2, err := ParseConfig([]byte(`{"allow": {"fingerprints": ["` + fp[:10] + `"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := New(Options{FingerprintKey: []byte("k"), Config: cfg2})
	if fs := e2.ScanBytes([]byte("mail bob@example.com")); len(fs) != 0 {
		t.Errorf("allow-listed fingerprint still found: %v", fs)
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"rules":[{"id":"r1","regex":"("}]}`, `rule "r1": regex`},
		{`{"rules":[{"id":"r2","regex":"a","validator":"crc"}]}`, `rule "r2": unknown validator "crc"`},
		{`{"rules":[{"id":"r3","regex":"(a)(b)"}]}`, `rule "r3": regex has 2 capture groups`},
		{`{"rules":[{"id":"r4","regex":"a*"}]}`, `rule "r4": regex matches the empty string`},
		{`{"rules":[{"id":"r5","regex":"a","category":"fun"}]}`, `rule "r5": category "fun"`},
		{`{"rules":[{"id":"email","regex":"a"}]}`, `rule "email": duplicate id`},
		{`{"rules":[{"regex":"a"}]}`, `rule #1: id is required`},
		{`{"rules":[{"id":"r6","regex":"a","validator":"entropy>=x"}]}`, `rule "r6": validator "entropy>=x"`},
		{`{"rules":[{"id":"r7","regex":"a","confidence":2}]}`, `rule "r7": confidence 2 outside 0..1`},
		{`{"rulez":[]}`, `unknown field "rulez"`},
		{`{"modes":{"email":"blur"}}`, `unknown mode "blur"`},
		{`{"allow":{"regexes":["("]}}`, `allow regex "("`},
		{`{"allow":{"fingerprints":["xyz"]}}`, `allow fingerprint "xyz"`},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.json, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "rules.json")
	os.WriteFile(path, []byte(`{"rules":[{"id":"broken","regex":"[z-a]"}]}`), 0o644)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), `rule "broken"`) {
		t.Errorf("LoadConfig: %v", err)
	}
}

func TestTypesCoverCanonicalIDs(t *testing.T) {
	e := testEngine(t)
	have := map[string]bool{}
	for _, ti := range e.Types() {
		have[ti.ID] = true
		if ti.Description == "" || (ti.Category != CategoryPII && ti.Category != CategorySecret) {
			t.Errorf("%s: incomplete TypeInfo %+v", ti.ID, ti)
		}
	}
	for _, id := range []string{TypeEmail, TypePhone, TypeCreditCard, TypeUSSSN, TypeIBAN, TypeIPAddress, TypeAWSAccessKeyID,
		TypeAWSSecretKey, TypeGCPAPIKey, TypeGCPServiceAcct, TypeAzureStorage, TypeGitHubToken, TypeGitLabToken, TypeSlackToken,
		TypeSlackWebhook, TypeStripeKey, TypeOpenAIKey, TypeAnthropicKey, TypeSendGridKey, TypeNPMToken, TypeJWT, TypePrivateKey,
		TypePassword, TypeURLCredentials, TypeBasicAuth, TypeBearerToken, TypeSessionToken, TypeGenericSecret} {
		if !have[id] {
			t.Errorf("no detector produces %s", id)
		}
	}
}

// A Config written in Go (not parsed from a file) is compiled by New.
func TestConfigBuiltInCode(t *testing.T) {
	e, err := New(Options{FingerprintKey: []byte("k"), Config: &Config{
		Rules: []RuleSpec{{ID: "ticket", Regex: `\bTCK-[0-9]{5}\b`}},
		Allow: AllowSpec{Values: []string{"bob@example.com"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	fs := e.ScanBytes([]byte("TCK-12345 bob@example.com"))
	if len(fs) != 1 || fs[0].Type != "ticket" {
		t.Errorf("got %v", fs)
	}
	if _, err := New(Options{FingerprintKey: []byte("k"), Config: &Config{Rules: []RuleSpec{{ID: "bad", Regex: "("}}}}); err == nil {
		t.Error("a bad rule in a Go-built Config was accepted")
	}
}

// TestCustomKeywordsIgnoreCase: a keyword prefilters lines in any case, so a
// rule with "(?i)" in its regex finds ACME_KEY= as well as acme_key=.
func TestCustomKeywordsIgnoreCase(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"rules": [{"id": "acme", "keywords": ["Acme_Key"], "regex": "(?i)acme_key=([a-z0-9]{20})"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{FingerprintKey: []byte("k"), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	v := fake("acme-ci", 20, "abcdefghijklmnopqrstuvwxyz0123456789")
	for _, line := range []string{"acme_key=" + v, "ACME_KEY=" + v, "x=1 Acme_Key=" + v} {
		fs := e.ScanBytes([]byte(line))
		if len(fs) != 1 || fs[0].Type != "acme" || line[fs[0].Start:fs[0].End] != v {
			t.Errorf("%q: got %v", line, brief(line, fs))
		}
	}
}
