package detectors

import (
	"strings"
	"testing"
)

// TestUnknownTypeIsAnError: a mode or a disabled type naming no finding
// type would silently do nothing; it fails with the valid names.
func TestUnknownTypeIsAnError(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"rules": [{"id": "ticket", "regex": "TCK-[0-9]{5}"}], "disabled": ["ticket"]}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts Options
		bad  string // "" when valid
	}{
		{"builtin disabled", Options{DisabledTypes: []string{"ip_address"}}, ""},
		{"llm type mode", Options{Modes: map[string]Mode{"person_name": ModeMask}}, ""},
		{"custom type disabled", Options{Config: cfg}, ""},
		{"typo disabled", Options{DisabledTypes: []string{"ip_adress"}}, "ip_adress"},
		{"typo mode", Options{Modes: map[string]Mode{"creditcard": ModeMask}}, "creditcard"},
		{"typo in config", Options{Config: &Config{Disabled: []string{"emails"}}}, "emails"},
		{"typo in config modes", Options{Config: &Config{Modes: map[string]Mode{"jwts": ModeMask}}}, "jwts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.FingerprintKey = []byte("k")
			_, err := New(c.opts)
			switch {
			case c.bad == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.bad != "" && err == nil:
				t.Fatalf("accepted unknown type %q", c.bad)
			case c.bad != "":
				msg := err.Error()
				if !strings.Contains(msg, `"`+c.bad+`"`) || !strings.Contains(msg, "valid: ") || !strings.Contains(msg, TypeCreditCard) {
					t.Errorf("error does not name the type and the valid ones: %v", err)
				}
			}
		})
	}
}

// TestTypesHaveValidators: every listed type says what validates it.
func TestTypesHaveValidators(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"rules": [{"id": "acme", "regex": "acme_[a-z0-9]{20}", "validator": "entropy>=3"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{FingerprintKey: []byte("k"), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range e.Types() {
		if ti.Validator == "" {
			t.Errorf("%s: no validator", ti.ID)
		}
		if ti.ID == "acme" && ti.Validator != "entropy>=3 (custom rule)" {
			t.Errorf("acme: validator %q", ti.Validator)
		}
	}
}
