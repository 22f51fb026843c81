package triage

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type tarEntry struct {
	name, link string
	typ        byte
	body       []byte
}

func tarball(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := w.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipEntry struct {
	name      string
	body      []byte
	encrypted bool
}

func zipball(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.encrypted {
			h.Flags |= 0x1
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openAll(input []byte, name string, lim OpenLimits) (string, *Opened, error) {
	o, err := Open(context.Background(), bytes.NewReader(input), name, lim)
	if err != nil {
		return "", nil, err
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	return string(b), o, err
}

func TestOpen(t *testing.T) {
	logText := []byte("2024-01-01 ERROR boom\r\n2024-01-01 INFO ok\n")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...)
	pe := make([]byte, 256)
	copy(pe, "MZ")
	pe[0x3c] = 0x80
	copy(pe[0x80:], "PE\x00\x00")
	tests := []struct {
		name       string
		input      []byte
		lim        OpenLimits
		want       string // exact stream text when not quarantined
		quarantine string // substring of the reason
		members    []string
		skipped    int
	}{
		{name: "plain text", input: logText, want: string(logText)},
		{name: "empty", input: nil, want: ""},
		{name: "invalid utf-8 is text", input: []byte("caf\xe9 \xff\xfe ERROR\n"), want: "caf\xe9 \xff\xfe ERROR\n"},
		{name: "text starting with MZ", input: []byte("MZ-1234 ERROR something\n"), want: "MZ-1234 ERROR something\n"},
		{name: "gzip", input: gz(t, logText), want: string(logText)},
		{name: "tar", input: tarball(t, tarEntry{name: "a.log", body: []byte("one")}, tarEntry{name: "dir", typ: tar.TypeDir}, tarEntry{name: "dir/b.log", body: []byte("two\n")}),
			want: "==> a.log <==\none\n==> dir/b.log <==\ntwo\n", members: []string{"a.log", "dir/b.log"}},
		{name: "tar.gz", input: gz(t, tarball(t, tarEntry{name: "./app.log", body: logText})),
			want: "==> app.log <==\n" + string(logText), members: []string{"app.log"}},
		{name: "zip with an image member skipped", input: zipball(t, zipEntry{name: "pic.png", body: png}, zipEntry{name: "x/app.log", body: logText}),
			want: "==> x/app.log <==\n" + string(logText), members: []string{"x/app.log"}, skipped: 1},
		{name: "gz inside tar", input: tarball(t, tarEntry{name: "old.log.gz", body: gz(t, []byte("rotated\n"))}),
			want: "==> old.log <==\nrotated\n", members: []string{"old.log"}},
		{name: "tar inside zip", input: zipball(t, zipEntry{name: "inner.tar", body: tarball(t, tarEntry{name: "deep.log", body: []byte("deep\n")})}),
			want: "==> inner.tar/deep.log <==\ndeep\n", members: []string{"inner.tar/deep.log"}},
		{name: "elf", input: elf, quarantine: "executable"},
		{name: "pe", input: pe, quarantine: "executable"},
		{name: "png", input: png, quarantine: "image"},
		{name: "pdf", input: []byte("%PDF-1.7\n..."), quarantine: "pdf"},
		{name: "nul bytes", input: []byte("abc\x00def\x00"), quarantine: "binary"},
		{name: "xz", input: []byte("\xfd7zXZ\x00\x00"), quarantine: "unsupported archive"},
		{name: "elf inside tar.gz", input: gz(t, tarball(t, tarEntry{name: "a.log", body: logText}, tarEntry{name: "bin/tool", body: elf})), quarantine: "executable"},
		{name: "tar traversal", input: tarball(t, tarEntry{name: "../../etc/passwd", body: logText}), quarantine: "path traversal"},
		{name: "tar absolute", input: tarball(t, tarEntry{name: "/etc/passwd", body: logText}), quarantine: "absolute"},
		{name: "tar symlink out", input: tarball(t, tarEntry{name: "l", link: "../../root", typ: tar.TypeSymlink}), quarantine: "path traversal"},
		{name: "zip traversal", input: zipball(t, zipEntry{name: `..\..\win.ini`, body: logText}), quarantine: "path traversal"},
		{name: "zip drive letter", input: zipball(t, zipEntry{name: `C:\x.log`, body: logText}), quarantine: "drive-letter"},
		{name: "zip encrypted", input: zipball(t, zipEntry{name: "secret.log", body: logText, encrypted: true}), quarantine: "encrypted"},
		{name: "gzip bomb by ratio", input: gz(t, bytes.Repeat([]byte("a"), 4<<20)), lim: OpenLimits{RatioFloor: 64 << 10, MaxRatio: 50}, quarantine: "compression ratio"},
		{name: "gzip bomb by total", input: gz(t, bytes.Repeat([]byte("x"), 2<<20)), lim: OpenLimits{MaxTotalBytes: 1 << 20}, quarantine: "decompressed content is larger"},
		{name: "too big", input: bytes.Repeat([]byte("line\n"), 10000), lim: OpenLimits{MaxUploadBytes: 1000}, quarantine: "larger than 1000"},
		{name: "nesting too deep", input: gz(t, gz(t, gz(t, gz(t, logText)))), quarantine: "nested deeper"},
		{name: "truncated gzip", input: gz(t, bytes.Repeat(logText, 100))[:60], quarantine: "truncated"},
		{name: "too many members", input: tarball(t, tarEntry{name: "a", body: logText}, tarEntry{name: "b", body: logText}), lim: OpenLimits{MaxMembers: 1}, quarantine: "more than 1 members"},
		{name: "zip of only images", input: zipball(t, zipEntry{name: "a.png", body: png}), want: "", skipped: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, o, err := openAll(tt.input, "upload.bin", tt.lim)
			if tt.quarantine != "" {
				reason, ok := QuarantineReason(err)
				if !ok || !strings.Contains(reason, tt.quarantine) {
					t.Fatalf("err = %v; want quarantine mentioning %q", err, tt.quarantine)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("stream = %q; want %q", got, tt.want)
			}
			var names []string
			for _, m := range o.Members() {
				names = append(names, m.Name)
				if !strings.HasPrefix(got[m.Offset:], "") || (m.Offset > 0 && got[m.Offset-1] != '\n') {
					t.Errorf("member %s offset %d is not at a line start", m.Name, m.Offset)
				}
				if !strings.HasPrefix(got[m.HeaderOffset:], "==> "+m.Name+" <==\n") {
					t.Errorf("member %s header offset %d does not point at its header", m.Name, m.HeaderOffset)
				}
				if line := strings.Count(got[:m.Offset], "\n") + 1; line != m.FirstLine {
					t.Errorf("member %s FirstLine = %d; want %d", m.Name, m.FirstLine, line)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.members, ",") {
				t.Errorf("members = %v; want %v", names, tt.members)
			}
			if len(o.Skipped) != tt.skipped {
				t.Errorf("skipped = %v; want %d", o.Skipped, tt.skipped)
			}
		})
	}
}

func TestOpenReadErrorIsTransient(t *testing.T) {
	r := io.MultiReader(strings.NewReader("ok line\n"), errReader{errors.New("connection reset")})
	o, err := Open(context.Background(), r, "x.log", OpenLimits{})
	if err == nil {
		_, err = io.ReadAll(o)
	}
	if KindOf(err) != KindTransient {
		t.Fatalf("err = %v (kind %v); want transient", err, KindOf(err))
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestMemberAt(t *testing.T) {
	input := tarball(t, tarEntry{name: "a.log", body: []byte("1\n2\n")}, tarEntry{name: "b.log", body: []byte("3\n")})
	got, o, err := openAll(input, "x.tar", OpenLimits{})
	if err != nil {
		t.Fatal(err)
	}
	for off, want := range map[int]string{0: "a.log", strings.Index(got, "2"): "a.log", strings.Index(got, "==> b"): "b.log", strings.Index(got, "3"): "b.log"} {
		m, ok := o.MemberAt(int64(off))
		if !ok || m.Name != want {
			t.Errorf("MemberAt(%d) = %v, %v; want %s", off, m, ok, want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte("plain log\n"))
	f.Add(gz(f, []byte("gz log\n")))
	f.Add(tarball(f, tarEntry{name: "a.log", body: []byte("x\n")}))
	f.Add(zipball(f, zipEntry{name: "a.log", body: []byte("x\n")}))
	f.Add(gz(f, tarball(f, tarEntry{name: "../a", body: []byte("x\n")})))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := OpenLimits{MaxTotalBytes: 1 << 20, MaxUploadBytes: 1 << 20, RatioFloor: 64 << 10, TempDir: t.TempDir()}
		o, err := Open(context.Background(), bytes.NewReader(data), "fuzz", lim)
		if err != nil {
			if _, ok := QuarantineReason(err); !ok {
				t.Fatalf("Open error is not a quarantine: %v", err)
			}
			return
		}
		defer o.Close()
		n, err := io.Copy(io.Discard, o)
		if err != nil {
			if _, ok := QuarantineReason(err); !ok {
				t.Fatalf("Read error is not a quarantine: %v", err)
			}
		}
		if n > lim.MaxTotalBytes+lim.MaxUploadBytes+1<<16 {
			t.Fatalf("read %d bytes past the caps", n)
		}
	})
}
