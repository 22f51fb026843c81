package postgres

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReplaceNULEscapes: any string, JSON-encoded and rewritten, decodes to
// the same string with NUL as U+FFFD (so jsonb accepts it).
func FuzzReplaceNULEscapes(f *testing.F) {
	for _, s := range []string{"", "a\x00b", `\u0000`, `\\u0000`, "\\\x00", "\x00\x00", "é\x00\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(s)
		if err != nil {
			t.Skip()
		}
		out := replaceNULEscapes(string(b))
		var got string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("rewritten JSON %s does not decode: %v", out, err)
		}
		want := strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		if !utf8.ValidString(s) {
			// json.Marshal replaces each invalid byte on its own; compare decoded forms only.
			var dec string
			_ = json.Unmarshal(b, &dec)
			want = strings.ReplaceAll(dec, "\x00", "\uFFFD")
		}
		if got != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}
