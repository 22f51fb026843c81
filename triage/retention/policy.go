// Package retention decides how long each kind of tenant data is kept and
// purges what is past its window: raw uploads (by how their processing
// ended), cases with their findings and embeddings, upload statuses and the
// store's write trail. Each purge is an audit event.
package retention

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Day is a retention unit: windows are written "30d", "36h".
const Day = 24 * time.Hour

// Windows is how long each kind of data is kept. A zero field inherits the
// default policy's.
type Windows struct {
	Raw         Duration `json:"raw,omitzero"`         // raw uploads that were triaged
	Quarantined Duration `json:"quarantined,omitzero"` // raw uploads kept aside (not text, bombs, traversal)
	Incomplete  Duration `json:"incomplete,omitzero"`  // raw uploads never processed to the end (pending, failed)
	Cases       Duration `json:"cases,omitzero"`       // cases, findings, embeddings, statuses
	Audit       Duration `json:"audit,omitzero"`       // audit events
}

// Defaults are the windows without configuration: what support portals
// commonly promise, and short for what was never processed.
var Defaults = Windows{
	Raw:         Duration(30 * Day),
	Quarantined: Duration(7 * Day),
	Incomplete:  Duration(1 * Day),
	Cases:       Duration(180 * Day),
	Audit:       Duration(365 * Day),
}

// Policy is the default windows and per-tenant overrides.
type Policy struct {
	Default Windows            `json:"default"`
	Tenants map[string]Windows `json:"tenants,omitempty"`
}

var _ triage.Retention = Policy{}

// DefaultPolicy is Defaults for every tenant.
func DefaultPolicy() Policy { return Policy{Default: Defaults} }

// Load reads a policy file (JSON, unknown fields are errors):
//
//	{"default": {"raw": "30d", "cases": "90d"}, "tenants": {"acme": {"raw": "7d"}}}
func Load(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, err
	}
	var p Policy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("retention policy %s: %w", path, err)
	}
	p.Default = p.Default.inherit(Defaults)
	return p, p.validate()
}

func (p Policy) validate() error {
	check := func(who string, w Windows) error {
		for _, d := range []Duration{w.Raw, w.Quarantined, w.Incomplete, w.Cases, w.Audit} {
			if d < 0 {
				return fmt.Errorf("retention policy: %s: a window cannot be negative", who)
			}
		}
		return nil
	}
	if err := check("default", p.Default); err != nil {
		return err
	}
	for t, w := range p.Tenants {
		if err := check("tenant "+t, w); err != nil {
			return err
		}
	}
	return nil
}

func (w Windows) inherit(from Windows) Windows {
	pick := func(a, b Duration) Duration {
		if a == 0 {
			return b
		}
		return a
	}
	return Windows{
		Raw: pick(w.Raw, from.Raw), Quarantined: pick(w.Quarantined, from.Quarantined),
		Incomplete: pick(w.Incomplete, from.Incomplete), Cases: pick(w.Cases, from.Cases), Audit: pick(w.Audit, from.Audit),
	}
}

// For is the tenant's windows, every field filled.
func (p Policy) For(tenant string) Windows {
	def := p.Default.inherit(Defaults)
	if w, ok := p.Tenants[tenant]; ok {
		return w.inherit(def)
	}
	return def
}

// MaxRaw is the longest any raw upload is kept: the JetStream streams'
// MaxAge, a backstop behind the purge.
func (p Policy) MaxRaw() time.Duration {
	m := p.For("").maxRaw()
	for t := range p.Tenants {
		m = max(m, p.For(t).maxRaw())
	}
	return m
}

func (w Windows) maxRaw() time.Duration {
	return max(w.Raw, w.Quarantined, w.Incomplete).D()
}

// RawWindow is how long the raw upload of an upload in state st is kept.
func (w Windows) RawWindow(st triage.Status) time.Duration {
	switch st {
	case triage.StatusTriaged:
		return w.Raw.D()
	case triage.StatusQuarantined:
		return w.Quarantined.D()
	}
	return w.Incomplete.D()
}

func (p Policy) CaseDeleteAfter(tenant string, created time.Time) time.Time {
	return created.Add(p.For(tenant).Cases.D()).UTC()
}

func (p Policy) UploadDeleteAfter(tenant string, st triage.Status, received time.Time) time.Time {
	return received.Add(p.For(tenant).RawWindow(st)).UTC()
}

// Duration is a time.Duration that reads and writes "30d", "12h", "90m".
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	if d%Duration(Day) == 0 && d != 0 {
		return strconv.FormatInt(int64(d/Duration(Day)), 10) + "d"
	}
	return time.Duration(d).String()
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// maxDays keeps a window in a time.Duration (about 292 years).
const maxDays = int(math.MaxInt64 / int64(Day))

// ParseDuration reads time.ParseDuration's forms plus whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > maxDays {
			return 0, fmt.Errorf("retention window %q: want whole days like 30d, or a duration like 36h", s)
		}
		return time.Duration(days) * Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retention window %q: want whole days like 30d, or a duration like 36h", s)
	}
	return d, nil
}
