package drain

import (
	"strings"
	"testing"
)

func TestTokenizeMasksVariables(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"PacketResponder 1 for block blk_-695 terminating", "PacketResponder <*> for block <*> terminating"},
		{"onExtend:1514038530000 14 0 4", "onExtend:<*> <*>"},
		{"connect to 10.251.73.220:50010 at Fri Jun 17 07:07:00 2005", "connect to <*> at <*>"},
		{`acquire tag="View Lock", uid=10037`, `acquire tag="<*>", uid=<*>`},
		{"ready=true,policy=3,mode=false", "ready=true, policy=<*>, mode=false"},
		{"token [REDACTED:email:9f2c] sent", "token [REDACTED:email:<*>] sent"},
		{"trailing\r", "trailing"},
	} {
		m := New(Options{})
		m.Add([]byte(tc.line))
		if got := m.Cluster(0).Template; got != tc.want {
			t.Errorf("%q: template %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestMinerGroupsAndGeneralizes(t *testing.T) {
	m := New(Options{})
	a := m.Add([]byte("Started job alpha in pool main"))
	b := m.Add([]byte("Started job beta in pool main"))
	c := m.Add([]byte("Disk quota exceeded for volume home"))
	if a != b || a == c {
		t.Fatalf("clusters %d %d %d: want the two job lines together, the quota line apart", a, b, c)
	}
	if got := m.Cluster(a).Template; got != "Started job <*> in pool main" {
		t.Errorf("template %q", got)
	}
	if got := m.Cluster(a).Count; got != 2 {
		t.Errorf("count %d, want 2", got)
	}
	// A state differs: status=FAILED is not status=SUCCEEDED with another value.
	ok := m.Add([]byte("task 7 finished status=SUCCEEDED in queue main"))
	failed := m.Add([]byte("task 8 finished status=FAILED in queue main"))
	if ok == failed {
		t.Errorf("status=SUCCEEDED and status=FAILED share template %q", m.Cluster(ok).Template)
	}
	// A variable that spans a varying number of tokens keeps one template.
	x := m.Add([]byte("connection from 10.0.0.1 (a.example.net) at Fri Jun 17 07:07:00 2005"))
	y := m.Add([]byte("connection from 10.0.0.2 (b.example.org) at Sat Jun 18 07:07:00 2005"))
	z := m.Add([]byte("connection from 10.0.0.3 at Sat Jun 18 07:09:00 2005"))
	if x != y || y != z {
		t.Errorf("connection lines in clusters %d %d %d: %q", x, y, z, m.Cluster(x).Template)
	}
}

func TestSeedKeepsIDAndMatchIsReadOnly(t *testing.T) {
	first := New(Options{})
	i := first.Add([]byte("user 42 logged in from web"))
	first.Add([]byte("user 43 logged in from web"))
	known := first.Cluster(i)
	if known.ID != TemplateID("user <*> logged in from web") {
		t.Fatalf("ID %s is not the hash of the first template", known.ID)
	}

	second := New(Options{})
	second.Seed(known.ID, known.Template)
	if got := second.Match([]byte("user 7 logged in from web")); got != 0 {
		t.Fatalf("Match = %d, want the seeded cluster 0", got)
	}
	if second.Cluster(0).Count != 0 {
		t.Fatal("Match changed a count")
	}
	if got := second.Match([]byte("disk full on /var")); got != -1 {
		t.Fatalf("Match of an unknown line = %d, want -1", got)
	}
	j := second.Add([]byte("user 9 logged in from web"))
	if c := second.Cluster(j); c.ID != known.ID || c.Count != 1 {
		t.Fatalf("seeded cluster after Add: %+v, want ID %s count 1", c, known.ID)
	}
	if second.Seed("other", known.Template) != j {
		t.Fatal("seeding a known template made a second cluster")
	}
}

func TestMaxClustersBoundsMemory(t *testing.T) {
	m := New(Options{MaxClusters: 3})
	words := []string{"alpha", "bravo", "charlie", "delta", "echo"}
	for _, w := range words {
		m.Add([]byte(w + " is a word of its own " + strings.Repeat(w+" ", 3)))
	}
	if m.Len() != 3 {
		t.Fatalf("%d clusters, want the cap 3", m.Len())
	}
	if got := m.Add([]byte("zulu never seen before anywhere")); got != -1 {
		t.Fatalf("Add past the cap = %d, want -1", got)
	}
}

func FuzzMinerAdd(f *testing.F) {
	for _, s := range []string{"a b c", `x="unterminated`, "k=v,k2=v2,", "\"\"", "<*> <*>", "Jan Feb 1 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m := New(Options{MaxTokens: 16})
		i := m.Add([]byte(line))
		j := m.Add([]byte(line))
		if i != j {
			t.Fatalf("the same line went to clusters %d and %d", i, j)
		}
		if i >= 0 && m.Match([]byte(line)) != i {
			t.Fatalf("Match disagrees with Add")
		}
		for _, c := range m.Clusters() {
			m.Seed(c.ID, c.Template)
		}
	})
}

func TestGroupingAccuracy(t *testing.T) {
	for _, tc := range []struct {
		pred, truth []string
		want        float64
	}{
		{[]string{"a", "a", "b"}, []string{"x", "x", "y"}, 1},
		{[]string{"a", "a", "a"}, []string{"x", "x", "y"}, 0},       // one group mixes two events
		{[]string{"a", "b", "c"}, []string{"x", "x", "y"}, 1.0 / 3}, // x split in two: only y is right
		{nil, nil, 0},
	} {
		if got := GroupingAccuracy(tc.pred, tc.truth); got != tc.want {
			t.Errorf("GroupingAccuracy(%v, %v) = %v, want %v", tc.pred, tc.truth, got, tc.want)
		}
	}
}
