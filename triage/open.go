package triage

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// OpenLimits bounds what Open reads. Zero fields take the defaults below.
type OpenLimits struct {
	MaxUploadBytes int64   // bytes read from the upload itself (compressed); default 512 MiB
	MaxTotalBytes  int64   // bytes produced by decompression, all layers; default 2 GiB
	MaxRatio       float64 // decompressed / compressed bytes; default 100
	RatioFloor     int64   // the ratio is enforced past this many decompressed bytes; default 16 MiB
	MaxMembers     int     // archive members over all layers; default 10000
	MaxDepth       int     // archive layers (tar.gz = 2); default 3
	// TempDir is where zips are spooled (zip needs random access); "" =
	// os.TempDir(). serve spools inside its data dir and sweeps it at start.
	// A spool file is unlinked as soon as it is created where the system
	// allows it, so a killed process leaves no raw upload behind.
	TempDir string
}

func (l OpenLimits) withDefaults() OpenLimits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxUploadBytes, 512<<20)
	def(&l.MaxTotalBytes, 2<<30)
	def(&l.RatioFloor, 16<<20)
	if l.MaxRatio <= 0 {
		l.MaxRatio = 100
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = 10000
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 3
	}
	return l
}

// QuarantineError says the upload must not be processed, and why. Open
// returns it up front (an executable) or from Read (a bomb found mid-stream).
type QuarantineError struct{ Reason string }

func (e *QuarantineError) Error() string { return "quarantined: " + e.Reason }

func quarantinef(format string, args ...any) error {
	return &QuarantineError{Reason: fmt.Sprintf(format, args...)}
}

// QuarantineReason reports whether err says to quarantine, and why.
func QuarantineReason(err error) (string, bool) {
	var q *QuarantineError
	if errors.As(err, &q) {
		return q.Reason, true
	}
	return "", false
}

// Member is one text file inside an archive, placed in the opened stream.
type Member struct {
	Name         string
	HeaderOffset int64 // offset of its "==> name <==" header line in the stream
	Offset       int64 // offset of its first content byte in the stream
	FirstLine    int   // 1-based stream line number of its first content line
}

// Opened is the text content of an upload as one stream: a plain or gzipped
// log as is; the text members of tar/zip archives concatenated, each after a
// header line "==> member <==". Member boundaries are recorded by offset as
// the stream is read, so content cannot fake a header.
type Opened struct {
	ContentType string   // what sniffing found for the upload itself
	Skipped     []string // archive members left out (not text, links, special files)

	ctx      context.Context
	lim      OpenLimits
	root     *countingReader
	inflated int64
	stack    []source
	cur      io.Reader
	pending  []byte
	out      int64
	newlines int
	lastByte byte
	members  []Member
	nMembers int
	temps    []*os.File
	err      error
}

// source yields the members of one layer (a single file or an archive).
type source interface {
	next() (name string, r io.Reader, inArchive bool, err error) // io.EOF at the end
	depth() int
}

// Open sniffs the upload by its bytes (never its name) and returns its text
// as a stream. A *QuarantineError (from Open or Read) means the upload must
// not be processed. Close removes spooled temp files.
func Open(ctx context.Context, r io.Reader, name string, lim OpenLimits) (*Opened, error) {
	o := &Opened{ctx: ctx, lim: lim.withDefaults(), root: &countingReader{r: r}}
	br := bufio.NewReaderSize(o.root, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	k := sniff(head)
	o.ContentType = k.contentType
	if k.class == classRefuse {
		return nil, quarantinef("%s content (%s) is not a log", k.what, k.contentType)
	}
	o.stack = []source{&single{name: name, r: br, sniffed: &k}}
	return o, nil
}

// Members lists the archive members seen so far, in stream order.
func (o *Opened) Members() []Member { return o.members }

// MemberAt returns the member whose content or header contains stream offset off.
func (o *Opened) MemberAt(off int64) (Member, bool) {
	i := sort.Search(len(o.members), func(i int) bool { return o.members[i].HeaderOffset > off })
	if i == 0 {
		return Member{}, false
	}
	return o.members[i-1], true
}

// Close removes any spooled temp files.
func (o *Opened) Close() error {
	var errs []error
	for _, f := range o.temps {
		errs = append(errs, f.Close())
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	o.temps = nil
	return errors.Join(errs...)
}

func (o *Opened) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.read(p)
	if n > 0 {
		o.out += int64(n)
		o.newlines += bytes.Count(p[:n], []byte{'\n'})
		o.lastByte = p[n-1]
	}
	if err != nil && err != io.EOF {
		o.err = err
	}
	return n, err
}

func (o *Opened) read(p []byte) (int, error) {
	for {
		if err := o.ctx.Err(); err != nil {
			return 0, err
		}
		if err := o.check(); err != nil {
			return 0, err
		}
		if len(o.pending) > 0 {
			n := copy(p, o.pending)
			o.pending = o.pending[n:]
			return n, nil
		}
		if o.cur != nil {
			n, err := o.cur.Read(p)
			if err == io.EOF {
				o.cur = nil
				err = nil
			}
			if err != nil {
				return n, corrupt(err)
			}
			if n > 0 {
				return n, o.check()
			}
			continue
		}
		if len(o.stack) == 0 {
			return 0, io.EOF
		}
		if err := o.advance(); err != nil {
			return 0, err
		}
	}
}

// advance opens the next member of the innermost layer.
func (o *Opened) advance() error {
	top := o.stack[len(o.stack)-1]
	name, r, inArchive, err := top.next()
	if err == io.EOF {
		o.stack = o.stack[:len(o.stack)-1]
		return nil
	}
	if err != nil {
		return corrupt(err)
	}
	var k kind
	br, ok := r.(*bufio.Reader)
	if s, isSingle := top.(*single); isSingle && s.sniffed != nil {
		k, s.sniffed = *s.sniffed, nil
	} else {
		if !ok {
			br = bufio.NewReaderSize(r, sniffLen)
		}
		head, err := br.Peek(sniffLen)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return corrupt(err)
		}
		k = sniff(head)
	}
	depth := top.depth()
	switch k.class {
	case classText:
		if inArchive {
			o.startMember(name)
		}
		o.cur = br
	case classGzip, classTar, classZip:
		if depth+1 > o.lim.MaxDepth {
			return quarantinef("archives nested deeper than %d layers at %q", o.lim.MaxDepth, name)
		}
		layer, err := o.openLayer(k.class, name, br, inArchive, depth+1)
		if err != nil {
			return err
		}
		o.stack = append(o.stack, layer)
	case classRefuse:
		if k.what == "executable" || !inArchive {
			return quarantinef("%s %q (%s) is not a log", k.what, name, k.contentType)
		}
		o.Skipped = append(o.Skipped, name+" ("+k.contentType+")")
	default:
		return quarantinef("unsupported content %q (%s)", name, k.contentType)
	}
	return nil
}

func (o *Opened) startMember(name string) {
	var hdr []byte
	if o.out > 0 && o.lastByte != '\n' {
		hdr = append(hdr, '\n')
	}
	headerOffset := o.out + int64(len(hdr))
	hdr = append(hdr, "==> "+printable(name)+" <==\n"...)
	o.pending = hdr
	o.members = append(o.members, Member{
		Name:         name,
		HeaderOffset: headerOffset,
		Offset:       o.out + int64(len(hdr)),
		FirstLine:    o.newlines + bytes.Count(hdr, []byte{'\n'}) + 1,
	})
}

func (o *Opened) openLayer(c class, name string, r *bufio.Reader, inArchive bool, depth int) (source, error) {
	switch c {
	case classGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, corrupt(err)
		}
		inner := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
		if inner == name {
			inner = name + ".out"
		}
		if !inArchive {
			inner = name // a single gzipped log keeps the upload name
		}
		return &single{name: inner, r: &inflateCounter{r: zr, o: o}, inArchive: inArchive, d: depth}, nil
	case classTar:
		return &tarSource{o: o, prefix: memberPrefix(name, inArchive), tr: tar.NewReader(r), d: depth}, nil
	default:
		f, err := os.CreateTemp(o.lim.TempDir, SpoolPattern)
		if err != nil {
			return nil, Internal("open", err)
		}
		o.temps = append(o.temps, f)
		// Unlinked at once (POSIX keeps the open file): a kill -9 from here
		// on leaves no raw upload on disk. Where that fails (Windows),
		// Close removes it and SweepSpool catches what a crash left.
		_ = os.Remove(f.Name())
		n, err := io.Copy(f, io.LimitReader(r, o.lim.MaxUploadBytes+1))
		if err != nil {
			return nil, corrupt(err)
		}
		if n > o.lim.MaxUploadBytes {
			return nil, quarantinef("zip %q is larger than %d bytes", name, o.lim.MaxUploadBytes)
		}
		zr, err := zip.NewReader(f, n)
		if err != nil {
			return nil, quarantinef("corrupt zip %q: %v", name, err)
		}
		return &zipSource{o: o, prefix: memberPrefix(name, inArchive), files: zr.File, d: depth}, nil
	}
}

// check enforces the size and ratio caps; it runs on every read.
func (o *Opened) check() error {
	switch {
	case o.root.n > o.lim.MaxUploadBytes:
		return quarantinef("upload is larger than %d bytes", o.lim.MaxUploadBytes)
	case o.inflated > o.lim.MaxTotalBytes:
		return quarantinef("decompressed content is larger than %d bytes (decompression bomb?)", o.lim.MaxTotalBytes)
	case o.inflated > o.lim.RatioFloor && float64(o.inflated) > o.lim.MaxRatio*float64(max(o.root.n, 1)):
		return quarantinef("compression ratio above %.0f:1 (decompression bomb?)", o.lim.MaxRatio)
	}
	return nil
}

func (o *Opened) countMember(name string) error {
	o.nMembers++
	if o.nMembers > o.lim.MaxMembers {
		return quarantinef("archive has more than %d members", o.lim.MaxMembers)
	}
	if bad := unsafeMemberName(name); bad != "" {
		return quarantinef("path traversal in archive member %q: %s", printable(name), bad)
	}
	return nil
}

// unsafeMemberName says why an archive member name could escape an
// extraction directory, or "" when it is safe.
func unsafeMemberName(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "absolute path"
	case len(n) >= 2 && n[1] == ':' && (n[0]|0x20 >= 'a' && n[0]|0x20 <= 'z'):
		return "drive-letter path"
	case strings.ContainsRune(n, 0):
		return "NUL in name"
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "parent directory reference"
		}
	}
	return ""
}

func memberPrefix(name string, inArchive bool) string {
	if inArchive {
		return name + "/"
	}
	return ""
}

// single is a layer with exactly one member: the upload itself or a gzip stream.
type single struct {
	name      string
	r         io.Reader
	inArchive bool
	d         int
	done      bool
	sniffed   *kind // the upload's own sniff result, reused once
}

func (s *single) next() (string, io.Reader, bool, error) {
	if s.done {
		return "", nil, false, io.EOF
	}
	s.done = true
	return s.name, s.r, s.inArchive, nil
}
func (s *single) depth() int { return s.d }

type tarSource struct {
	o      *Opened
	prefix string
	tr     *tar.Reader
	d      int
}

func (t *tarSource) next() (string, io.Reader, bool, error) {
	for {
		h, err := t.tr.Next()
		if err != nil {
			return "", nil, false, err
		}
		if err := t.o.countMember(h.Name); err != nil {
			return "", nil, false, err
		}
		name := t.prefix + path.Clean(strings.TrimPrefix(h.Name, "./"))
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			return name, t.tr, true, nil
		case tar.TypeSymlink, tar.TypeLink:
			if bad := unsafeMemberName(h.Linkname); bad != "" {
				return "", nil, false, quarantinef("path traversal in archive link %q -> %q: %s", printable(h.Name), printable(h.Linkname), bad)
			}
			t.o.Skipped = append(t.o.Skipped, name+" (link)")
		case tar.TypeDir, tar.TypeXGlobalHeader:
		default:
			t.o.Skipped = append(t.o.Skipped, name+" (special file)")
		}
		if err := t.o.check(); err != nil {
			return "", nil, false, err
		}
	}
}
func (t *tarSource) depth() int { return t.d }

type zipSource struct {
	o      *Opened
	prefix string
	files  []*zip.File
	d      int
}

func (z *zipSource) next() (string, io.Reader, bool, error) {
	for len(z.files) > 0 {
		f := z.files[0]
		z.files = z.files[1:]
		if err := z.o.countMember(f.Name); err != nil {
			return "", nil, false, err
		}
		name := z.prefix + path.Clean(f.Name)
		switch {
		case f.Flags&0x1 != 0:
			return "", nil, false, quarantinef("encrypted archive member %q", printable(f.Name))
		case f.FileInfo().IsDir():
			continue
		case !f.Mode().IsRegular():
			z.o.Skipped = append(z.o.Skipped, name+" (link or special file)")
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", nil, false, quarantinef("zip member %q: %v", printable(f.Name), err)
		}
		return name, &inflateCounter{r: rc, o: z.o}, true, nil
	}
	return "", nil, false, io.EOF
}
func (z *zipSource) depth() int { return z.d }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		// The upload could not be read: storage or network, not the content.
		err = Transient("open", err)
	}
	return n, err
}

// inflateCounter counts decompressed bytes at the decompressor, so members
// that are skipped unread still count toward the caps.
type inflateCounter struct {
	r io.Reader
	o *Opened
}

func (c *inflateCounter) Read(p []byte) (int, error) {
	if err := c.o.check(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.o.inflated += int64(n)
	if err == nil {
		err = c.o.check()
	}
	return n, err
}

// corrupt turns a decoding error into a quarantine; caps and cancellations pass through.
func corrupt(err error) error {
	var q *QuarantineError
	var te *Error
	if errors.As(err, &q) || errors.As(err, &te) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err == io.ErrUnexpectedEOF {
		return quarantinef("truncated archive")
	}
	return quarantinef("corrupt archive: %v", err)
}

// printable keeps member names on one line in headers and reasons.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

const sniffLen = 8192

type class int

const (
	classText class = iota
	classGzip
	classTar
	classZip
	classRefuse
)

type kind struct {
	class       class
	what        string // for reasons: "executable", "image", ...
	contentType string
}

// sniff decides what the bytes are, by magic numbers and then by a text test.
func sniff(head []byte) kind {
	has := func(prefix string) bool { return bytes.HasPrefix(head, []byte(prefix)) }
	switch {
	case has("\x1f\x8b"):
		return kind{classGzip, "gzip", "application/gzip"}
	case has("PK\x03\x04") || has("PK\x05\x06"):
		return kind{classZip, "zip", "application/zip"}
	case len(head) >= 262 && (bytes.Equal(head[257:262], []byte("ustar"))):
		return kind{classTar, "tar", "application/x-tar"}
	case has("\x7fELF"):
		return kind{classRefuse, "executable", "application/x-elf"}
	case has("MZ") && isPE(head):
		return kind{classRefuse, "executable", "application/vnd.microsoft.portable-executable"}
	case has("\xfe\xed\xfa\xce") || has("\xfe\xed\xfa\xcf") || has("\xce\xfa\xed\xfe") || has("\xcf\xfa\xed\xfe") || has("\xca\xfe\xba\xbe"):
		return kind{classRefuse, "executable", "application/x-mach-binary"}
	case has("\x00asm"):
		return kind{classRefuse, "executable", "application/wasm"}
	case has("\x89PNG\r\n\x1a\n"):
		return kind{classRefuse, "image", "image/png"}
	case has("\xff\xd8\xff"):
		return kind{classRefuse, "image", "image/jpeg"}
	case has("GIF87a") || has("GIF89a"):
		return kind{classRefuse, "image", "image/gif"}
	case has("RIFF") && len(head) >= 12 && string(head[8:12]) == "WEBP":
		return kind{classRefuse, "image", "image/webp"}
	case has("%PDF-"):
		return kind{classRefuse, "document", "application/pdf"}
	case has("BZh") && len(head) > 3 && head[3] >= '1' && head[3] <= '9', has("\xfd7zXZ\x00"), has("7z\xbc\xaf\x27\x1c"), has("Rar!\x1a\x07"), has("\x28\xb5\x2f\xfd"):
		return kind{classRefuse, "unsupported archive", "application/octet-stream"}
	case looksBinary(head):
		return kind{classRefuse, "binary", "application/octet-stream"}
	}
	return kind{classText, "text", "text/plain"}
}

// isPE checks the PE header an "MZ" stub points to, so a log line starting
// with "MZ" stays text.
func isPE(head []byte) bool {
	if len(head) < 0x40 {
		return bytes.IndexByte(head, 0) >= 0
	}
	off := int(head[0x3c]) | int(head[0x3d])<<8 | int(head[0x3e])<<16 | int(head[0x3f])<<24
	if off >= 0 && off+4 <= len(head) {
		return bytes.Equal(head[off:off+4], []byte("PE\x00\x00"))
	}
	return bytes.IndexByte(head[:0x40], 0) >= 0
}

// looksBinary: NUL bytes or many control characters. Invalid UTF-8 and
// Latin-1 are still text (logs are often not clean UTF-8).
func looksBinary(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, b := range head {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' && b != '\v' && b != 0x1b {
			ctrl++
		}
	}
	return ctrl*10 > len(head) // over 10% control characters
}
