package anomaly

import (
	"sort"
	"time"
)

// Summary is what one upload adds to its tenant's history: counts per
// template and fingerprints of the auth actors and source addresses seen.
// It holds no raw value: templates are mined from redacted lines (their
// variables masked), actors and addresses are keyed fingerprints.
type Summary struct {
	UploadID  string          `json:"upload_id"`
	Time      time.Time       `json:"time"`
	Lines     int             `json:"lines"`
	Errors    int             `json:"errors"` // error and fatal lines
	Warns     int             `json:"warns"`
	Templates []TemplateCount `json:"templates"`
	Actors    []string        `json:"actors,omitempty"`  // fingerprints of auth actors
	Admins    []string        `json:"admins,omitempty"`  // fingerprints of actors of admin actions
	Sources   []string        `json:"sources,omitempty"` // fingerprints of source addresses in auth lines
}

// TemplateCount is one template's lines in one upload.
type TemplateCount struct {
	ID       string `json:"id"`
	Template string `json:"template"`
	Count    int    `json:"count"`
	Errors   int    `json:"errors,omitempty"` // lines at error or fatal level
	Warns    int    `json:"warns,omitempty"`
}

// MaxSummaryTemplates bounds the templates a Summary keeps (the most
// frequent and all failing ones first), so history stays small.
const MaxSummaryTemplates = 2000

// Window is a span of history a baseline aggregates.
type Window struct {
	Name string        `json:"name"`
	Span time.Duration `json:"span"`
}

// DefaultWindows are the spans per-template counts are kept for: the last
// week and the last 90 days (the history the store hands back).
var DefaultWindows = []Window{{"7d", 7 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

// TemplateHistory is one template across a tenant's earlier uploads.
type TemplateHistory struct {
	ID        string    `json:"id"`
	Template  string    `json:"template"`
	FirstSeen time.Time `json:"first_seen"`
	Uploads   int       `json:"uploads"` // uploads it appeared in
	// Lines and Errors per window name (see Window): its count and how many
	// of those lines were errors, so its share of lines and its error rate
	// can be compared over time.
	Lines  map[string]int `json:"lines"`
	Errors map[string]int `json:"errors"`
}

// Baseline is a tenant's history as a new upload is compared with it.
type Baseline struct {
	Uploads    int // earlier uploads in the history
	Lines      map[string]int
	Templates  map[string]*TemplateHistory // by template ID
	ErrorRates []float64                   // error-line rate of each earlier upload
	WarnRates  []float64
	Actors     map[string]bool
	Admins     map[string]bool
	Sources    map[string]bool
	windows    []Window
}

// NewBaseline aggregates a tenant's summaries as of now.
func NewBaseline(history []Summary, now time.Time, windows []Window) *Baseline {
	if windows == nil {
		windows = DefaultWindows
	}
	b := &Baseline{
		Uploads: len(history), Lines: map[string]int{}, Templates: map[string]*TemplateHistory{},
		Actors: map[string]bool{}, Admins: map[string]bool{}, Sources: map[string]bool{}, windows: windows,
	}
	sorted := append([]Summary(nil), history...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	for _, s := range sorted {
		if s.Lines > 0 {
			b.ErrorRates = append(b.ErrorRates, float64(s.Errors)/float64(s.Lines))
			b.WarnRates = append(b.WarnRates, float64(s.Warns)/float64(s.Lines))
		}
		var in []string
		for _, w := range windows {
			if now.Sub(s.Time) <= w.Span {
				in = append(in, w.Name)
				b.Lines[w.Name] += s.Lines
			}
		}
		for _, t := range s.Templates {
			h := b.Templates[t.ID]
			if h == nil {
				h = &TemplateHistory{ID: t.ID, Template: t.Template, FirstSeen: s.Time, Lines: map[string]int{}, Errors: map[string]int{}}
				b.Templates[t.ID] = h
			}
			h.Template = t.Template // the latest, most general form
			h.Uploads++
			for _, w := range in {
				h.Lines[w] += t.Count
				h.Errors[w] += t.Errors
			}
		}
		for _, a := range s.Actors {
			b.Actors[a] = true
		}
		for _, a := range s.Admins {
			b.Admins[a] = true
		}
		for _, a := range s.Sources {
			b.Sources[a] = true
		}
	}
	return b
}

// widest is the name of the longest window.
func (b *Baseline) widest() string {
	w := b.windows[0]
	for _, x := range b.windows {
		if x.Span > w.Span {
			w = x
		}
	}
	return w.Name
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
