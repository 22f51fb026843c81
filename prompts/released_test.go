package prompts

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"testing"
)

// released pins every released template file to the SHA-256 of its first
// release: a released version's text never changes (a case records its
// prompt version, and runs are compared by it); new text is a new version.
// classify-v1 is pinned at 5ec0999, the text every recorded run used (the
// 28594f6 draft was amended six minutes later, before any run); pii-v1 at
// 01c5e7c, its first commit; classify-v2 (examples of resolved cases) as
// first released. Add a line when a version is released.
var released = map[string]string{
	"classify/v1.system.tmpl": "e880c053a4d68ee0843878a18ac0e11ba8a28fcaab28a36b01776cfb4092c706",
	"classify/v1.user.tmpl":   "76c73efeb17e2546cb7e9b882661883d37a95ae36adc3278f9bd8079f16031a4",
	"classify/v2.system.tmpl": "4dac71eb658554d481a1f7835c0c812c93c002e1af009fb58a2201fab4a80c1c",
	"classify/v2.user.tmpl":   "2b99f3f64ab8d74371586d5eb5ef038fd6156114ab663de3be13c51ddff6320b",
	"pii/v1.system.tmpl":      "b31e7bc5a374d876b46f8dfe847afa68775962415a09a9c17d2635bd59b53cd2",
	"pii/v1.user.tmpl":        "b7427c61410a7879fdf2b2e7df4231fcb34a55cd91ca9f3f4608ceef6a03fb85",
}

func TestReleasedTemplatesNeverChange(t *testing.T) {
	seen := 0
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		want, ok := released[path]
		switch {
		case !ok:
			t.Errorf("%s is not pinned: add its SHA-256 to released when the version ships", path)
		case hex.EncodeToString(sum[:]) != want:
			t.Errorf("%s differs from its first release: released text never changes, write a new version instead", path)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(released) {
		t.Errorf("%d template files embedded, %d pinned: a released version's file is missing", seen, len(released))
	}
}
