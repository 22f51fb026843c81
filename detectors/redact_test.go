package detectors

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleLog mixes real-looking log formats with planted, generated secrets.
func sampleLog() string {
	lines := []string{
		"2024-05-01T10:00:00Z INFO  api request user=jane.doe@example.com ip=203.0.113.7 status=200",
		`{"level":"info","msg":"login","password":"` + fake("g1", 12, alnum) + `","session_id":"` + fake("g2", 24, hexd) + `"}`,
		"ts=2024-05-01T10:00:01Z level=warn msg=\"retrying\" db_url=postgres://app:" + fake("g3", 10, alnum) + "@db.internal:5432/app attempt=2",
		"Authorization: Bearer " + fakeJWT("g4"),
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+fake("g5", 10, alnum))),
		"Cookie: theme=dark; sessionid=" + fake("g6", 32, alnum),
		"charge ok card=4111 1111 1111 1111 iban=DE89 3704 0044 0532 0130 00 ssn=123-45-6789",
		"contact +1 415 555 0132 or (415) 555-0132",
		"export GITHUB_TOKEN=ghp_" + fake("g7", 36, alnum) + " AWS_ACCESS_KEY_ID=AKIA" + fake("g8", 16, upperD),
		"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_-6952295868487656571 terminating",
		"Linux version 2.6.5-1.358 build 1.2.3.4 trace=4bf92f3577b34da6a3ce929d0e0e4736 id=550e8400-e29b-41d4-a716-446655440000",
		"-----BEGIN RSA PRIVATE KEY-----",
		fake("g9", 64, b64),
		fake("g10", 32, b64) + "==",
		"-----END RSA PRIVATE KEY-----",
		"password=******** token=${API_TOKEN} secret=<redacted>",
		"listening on [2001:db8::1]:8080 and 10.0.0.1:9090",
	}
	return strings.Join(lines, "\n") + "\r\nlast line without newline"
}

func TestRedactGolden(t *testing.T) {
	e := testEngine(t)
	var out bytes.Buffer
	st, err := e.Redact(context.Background(), strings.NewReader(sampleLog()), &out)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.redacted.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("redacted output differs from %s (go test -update to accept):\n%s", golden, out.String())
	}
	if st.Lines != 18 || st.Bytes != int64(len(sampleLog())) {
		t.Errorf("stats = %+v", st)
	}
	assertNoLeak(t, e, []byte(sampleLog()), out.Bytes())
}

// assertNoLeak: no value found in the input survives in the redacted output,
// unless the same bytes also occur in the input outside every finding.
func assertNoLeak(t testing.TB, e *Engine, in, out []byte) {
	t.Helper()
	fs := e.ScanBytes(in)
	residual := make([]byte, 0, len(in))
	pos := int64(0)
	for _, f := range fs {
		residual = append(residual, in[pos:f.Start]...)
		residual = append(residual, 0)
		pos = f.End
	}
	residual = append(residual, in[pos:]...)
	stripped := out
	for _, f := range fs {
		if f.Masked != "" {
			stripped = bytes.ReplaceAll(stripped, []byte(f.Masked), []byte{0})
		}
	}
	for _, f := range fs {
		v := in[f.Start:f.End]
		if bytes.Contains(stripped, v) && !bytes.Contains(residual, v) {
			t.Fatalf("%s value %q leaked into redacted output %q", f.Type, v, out)
		}
	}
}

// TestStreamingMatchesScanBytes: block edges do not change what is found,
// and ScanReader reports absolute offsets, lines and columns.
func TestStreamingMatchesScanBytes(t *testing.T) {
	e := testEngine(t)
	var sb strings.Builder
	for i := 0; sb.Len() < 200_000; i++ {
		sb.WriteString(sampleLog())
		sb.WriteString("\n")
	}
	data := []byte(sb.String())
	want := e.ScanBytes(data)
	for _, bs := range []int{4096, 10_000, defaultBlockSize} {
		small := *e
		small.blockSize = bs
		var got []Finding
		err := small.ScanReader(context.Background(), iotestOneByte(bytes.NewReader(data), bs), func(f Finding) error {
			got = append(got, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("block %d: %d findings, ScanBytes %d", bs, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("block %d: finding %d = %+v, want %+v", bs, i, got[i], want[i])
			}
		}
	}
}

// iotestOneByte returns short reads so the reader-filling loop is exercised.
func iotestOneByte(r io.Reader, n int) io.Reader {
	return &shortReader{r: r, n: n/3 + 1}
}

type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}

// TestRedactLinesLongLine: a 12 MB line is redacted in bounded chunks, every
// planted secret in it is replaced, and the chunks reassemble the line.
func TestRedactLinesLongLine(t *testing.T) {
	e := testEngine(t)
	tok := "ghp_" + fake("long", 36, alnum)
	var sb strings.Builder
	sb.WriteString("first\n")
	for sb.Len() < 12<<20 {
		sb.WriteString(`{"k":"` + fake("pad", 90, alnum) + `","token":"` + tok + `"},`)
		sb.WriteString(" pad pad 10.0.0.1 ")
	}
	sb.WriteString("\r\nlast\n")
	in := sb.String()
	var lines []string
	var cur strings.Builder
	maxChunk := 0
	err := e.RedactLines(context.Background(), strings.NewReader(in), func(l RedactedLine) error {
		if len(l.Text) > maxChunk {
			maxChunk = len(l.Text)
		}
		cur.Write(l.Text)
		if !l.Partial {
			lines = append(lines, cur.String()+"|"+l.Ending)
			cur.Reset()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0] != "first|\n" || lines[2] != "last|\n" || !strings.HasSuffix(lines[1], "|\r\n") {
		t.Fatalf("got %d lines", len(lines))
	}
	if strings.Contains(lines[1], tok) || strings.Contains(lines[1], "10.0.0.1") {
		t.Fatal("a secret in the long line survived redaction")
	}
	if maxChunk > 2*defaultBlockSize {
		t.Fatalf("chunk of %d bytes: long lines are not bounded", maxChunk)
	}
}

// TestPEMAcrossBlocks: a key that straddles a block edge is one finding.
func TestPEMAcrossBlocks(t *testing.T) {
	e := testEngine(t)
	pemText := fakePEM("edge", "PRIVATE KEY", "\n")
	for pad := 0; pad < 300; pad += 7 {
		in := strings.Repeat("x", pad) + "\n" + pemText + "\nafter 10.0.0.1\n"
		small := *e
		small.blockSize = 256
		var out bytes.Buffer
		if _, err := small.Redact(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "PRIVATE KEY") || strings.Count(out.String(), "\n") != strings.Count(in, "\n") {
			t.Fatalf("pad %d: %q", pad, out.String())
		}
	}
}

func TestModes(t *testing.T) {
	in := "card 4111-1111-1111-1111 mail jane@example.com key ghp_" + fake("m", 36, alnum) + " ip 10.1.2.3"
	cases := []struct {
		mode Mode
		want string
	}{
		{ModeMask, "card [CREDIT_CARD] mail [EMAIL] key [GITHUB_TOKEN] ip [IP_ADDRESS]"},
		{ModePartial, "card ****1111 mail j***@example.com key ghp_**** ip 10.1.*.*"},
		{ModeDrop, "card  mail  key  ip "},
	}
	for _, c := range cases {
		modes := map[string]Mode{}
		for _, typ := range []string{TypeCreditCard, TypeEmail, TypeGitHubToken, TypeIPAddress} {
			modes[typ] = c.mode
		}
		e, err := New(Options{FingerprintKey: []byte("k"), Modes: modes})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := e.Redact(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("%s: got %q want %q", c.mode, out.String(), c.want)
		}
	}
	if _, err := New(Options{FingerprintKey: []byte("k"), Modes: map[string]Mode{"email": "blur"}}); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestFingerprintKeyed(t *testing.T) {
	a, _ := New(Options{FingerprintKey: []byte("a")})
	b, _ := New(Options{FingerprintKey: []byte("b")})
	v := []byte("jane@example.com")
	if a.Fingerprint(v) == b.Fingerprint(v) || a.Fingerprint(v) != a.Fingerprint(v) || len(a.Fingerprint(v)) != 16 {
		t.Error("fingerprints must be stable per key and differ across keys")
	}
	// the same card printed two ways correlates
	f1 := a.ScanBytes([]byte("card 4111 1111 1111 1111"))
	f2 := a.ScanBytes([]byte("card 4111111111111111"))
	if len(f1) != 1 || len(f2) != 1 || f1[0].Fingerprint != f2[0].Fingerprint {
		t.Errorf("card fingerprints: %v %v", f1, f2)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("empty key accepted")
	}
}

func FuzzRedact(f *testing.F) {
	for _, d := range builtins {
		for _, ex := range append(append([]string{}, d.tp...), d.fp...) {
			text, _ := parseExample(ex)
			f.Add([]byte(text))
		}
	}
	for _, c := range append(heldoutCases(), heldoutFresh()...) {
		text, _ := parseLabels(c)
		f.Add([]byte(text))
	}
	f.Add([]byte(sampleLog()))
	e := testEngine(f)
	small := *e
	small.blockSize = 512
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if _, err := e.Redact(context.Background(), bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(out.Bytes(), []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatal("line count changed")
		}
		assertNoLeak(t, e, in, out.Bytes())
		// tiny blocks: still no panic and still no newline lost
		out.Reset()
		if _, err := small.Redact(context.Background(), bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(out.Bytes(), []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatal("line count changed with small blocks")
		}
	})
}

func FuzzScanBytes(f *testing.F) {
	for _, d := range builtins {
		for _, ex := range d.tp {
			text, _ := parseExample(ex)
			f.Add([]byte(text))
		}
	}
	e := testEngine(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		fs := e.ScanBytes(in)
		prev := int64(0)
		for _, fd := range fs {
			if fd.Start < prev || fd.End <= fd.Start || fd.End > int64(len(in)) || fd.Line < 1 || fd.Column < 1 {
				t.Fatalf("bad finding %+v (prev end %d, len %d)", fd, prev, len(in))
			}
			prev = fd.End
		}
	})
}

// TestMemoryFlat: streaming 64 MB holds about as much heap as streaming
// 4 MB; nothing grows with the input.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 68 MB")
	}
	e := testEngine(t)
	peakFor := func(size int64) uint64 {
		g := newLogGen(size)
		return peakHeap(func() {
			if _, err := e.Redact(context.Background(), g, io.Discard); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := peakFor(4<<20), peakFor(64<<20)
	t.Logf("peak heap: 4 MB input %.1f MB, 64 MB input %.1f MB", float64(small)/(1<<20), float64(large)/(1<<20))
	if large > small+8<<20 {
		t.Errorf("peak heap grew from %d to %d bytes with 16x the input", small, large)
	}
}

// TestPathologicalInputs: repetitive hostile input is scanned in linear time.
func TestPathologicalInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("a timing test (5 s per input): run without -short; scripts/test.sh's -race step passes -short")
	}
	e := testEngine(t)
	inputs := map[string]string{
		"begin markers":  strings.Repeat("-----BEGIN PRIVATE KEY-----", 80_000),
		"begin lines":    strings.Repeat("-----BEGIN RSA PRIVATE KEY-----\n", 60_000),
		"separators":     strings.Repeat("password=", 200_000),
		"open quotes":    strings.Repeat(`token="`, 250_000),
		"colons":         strings.Repeat("a:", 1_000_000),
		"ats":            strings.Repeat("a@b.", 500_000),
		"digits":         strings.Repeat("4111 ", 400_000),
		"escaped quotes": strings.Repeat(`\\\"password\\\": \\\"`, 100_000),
		"cookie headers": strings.Repeat("Cookie:", 300_000),
		"auth headers":   strings.Repeat("Authorization:", 150_000),
		"long value":     "password=" + strings.Repeat("a", 3<<20),
		"cli flags":      "curl" + strings.Repeat(" -u a:b -p x -a y", 150_000),
		"name/value":     strings.Repeat(`{"name":"DB_PASSWORD","value":`, 100_000),
		"empty keys":     strings.Repeat("password:\n ", 300_000),
		"phone keys":     strings.Repeat("msisdn 447700900123 ", 120_000),
		"key id lines":   strings.Repeat("AKIAABCDEFGHIJKLMNOP\nsecret ", 100_000),
	}
	for name, in := range inputs {
		start := time.Now()
		var out bytes.Buffer
		if _, err := e.Redact(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		t.Logf("%-15s %7d bytes %v", name, len(in), d)
		if d > 5*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(in), d)
		}
	}
}

// TestValueOnNextLineAcrossBlocks: a key whose value is on the next line
// (YAML "password:", a block scalar, a multi-line XML element) is found when
// the key line is the last whole line of a read block.
func TestValueOnNextLineAcrossBlocks(t *testing.T) {
	e := testEngine(t)
	var sb strings.Builder
	for i := 0; sb.Len() < 120_000; i++ {
		// filler lines of varying length move the key lines across block edges
		sb.WriteString(strings.Repeat("x", i%97) + " INFO filler\n")
		switch i % 3 {
		case 0:
			sb.WriteString("db:\n  password:\n    " + fake("nl"+strconv.Itoa(i), 14, alnum) + "\n")
		case 1:
			sb.WriteString("stringData:\n  API_SECRET: |\n    " + fake("bs"+strconv.Itoa(i), 32, alnum) + "\n")
		default:
			sb.WriteString("<apiToken>\n  " + fake("xml"+strconv.Itoa(i), 32, alnum) + "\n</apiToken>\n")
		}
	}
	data := []byte(sb.String())
	want := e.ScanBytes(data)
	if len(want) < 300 {
		t.Fatalf("ScanBytes found %d values; the input plants more", len(want))
	}
	small := *e
	small.blockSize = 1024
	var got []Finding
	if err := small.ScanReader(context.Background(), bytes.NewReader(data), func(f Finding) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("streaming in 1 KiB blocks found %d, ScanBytes %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("finding %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
