package embedded

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A log line is "<crc32c of json, 8 hex digits> <json>\n". The checksum tells a
// torn final write (dropped on replay) from corruption in the middle (an error).

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendRecord(buf []byte, r record) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return buf, err
	}
	var sum [4]byte
	c := crc32.Checksum(js, castagnoli)
	sum[0], sum[1], sum[2], sum[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	buf = hex.AppendEncode(buf, sum[:])
	buf = append(buf, ' ')
	buf = append(buf, js...)
	return append(buf, '\n'), nil
}

func parseRecord(line []byte) (record, error) {
	var r record
	if len(line) < 10 || line[8] != ' ' || line[len(line)-1] != '\n' {
		return r, errors.New("malformed line")
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[:8]); err != nil {
		return r, errors.New("malformed checksum")
	}
	js := line[9 : len(line)-1]
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	if crc32.Checksum(js, castagnoli) != want {
		return r, errors.New("checksum mismatch")
	}
	if err := json.Unmarshal(js, &r); err != nil {
		return r, err
	}
	return r, nil
}

// replay feeds every record of the log at path to apply, numbering them from 1.
// A damaged tail (a write cut short by a crash) is truncated away; damage
// followed by valid records is corruption and fails the open.
func replay(path string, apply func(record, uint64) error) (uint64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var n uint64
	var offset int64
	for {
		line, readErr := r.ReadBytes('\n')
		if len(line) == 0 && readErr == io.EOF {
			return n, nil
		}
		if readErr != nil && readErr != io.EOF {
			return n, readErr
		}
		rec, perr := parseRecord(line)
		if perr != nil {
			rest, _ := io.ReadAll(r)
			if len(bytes.TrimSpace(rest)) > 0 {
				return n, fmt.Errorf("%s: record %d at byte %d: %w", path, n+1, offset, perr)
			}
			if err := f.Truncate(offset); err != nil {
				return n, err
			}
			return n, f.Sync()
		}
		n++
		if err := apply(rec, n); err != nil {
			return n, fmt.Errorf("%s: record %d: %w", path, n, err)
		}
		offset += int64(len(line))
		if readErr == io.EOF {
			return n, nil
		}
	}
}

// lazyFlushDelay bounds how long a lazy append may wait for its fsync when
// no durable append comes along to carry it.
const lazyFlushDelay = 50 * time.Millisecond

// wal appends lines with group commit: whoever finds no flush running writes
// and syncs everything queued so far; the others wait for that flush. Lazy
// appends only queue: the next flush carries them, in order.
type wal struct {
	f    *os.File
	sync bool

	mu        sync.Mutex
	flushed   *sync.Cond
	pending   []byte
	spare     []byte
	lastSeq   uint64 // sequence number of the last queued line
	durable   uint64 // every line up to here is on disk
	flushing  bool
	lazyTimer *time.Timer
	err       error // sticky: after a failed write the file's tail is unknown
	closed    bool
}

func openWAL(path string, doSync bool, lastSeq uint64) (*wal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	w := &wal{f: f, sync: doSync, lastSeq: lastSeq, durable: lastSeq}
	w.flushed = sync.NewCond(&w.mu)
	return w, nil
}

// append queues line and numbers it; lines are numbered in the order they
// land in the file. A durable append returns once the line is on disk; a
// lazy one returns at once and is on disk within lazyFlushDelay.
func (w *wal) append(line []byte, durable bool) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.lastSeq++
	seq := w.lastSeq
	w.pending = append(w.pending, line...)
	if !durable {
		if w.lazyTimer == nil {
			w.lazyTimer = time.AfterFunc(lazyFlushDelay, w.flushLazy)
		}
		return seq, nil
	}
	return seq, w.waitDurable(seq)
}

func (w *wal) flushLazy() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lazyTimer = nil
	if !w.closed && w.err == nil {
		w.waitDurable(w.lastSeq)
	}
}

// waitDurable returns once line seq is on disk, flushing if nobody is.
// Called with w.mu held.
func (w *wal) waitDurable(seq uint64) error {
	for w.durable < seq {
		if w.err != nil {
			return w.err
		}
		if w.closed {
			return ErrClosed
		}
		if w.flushing {
			w.flushed.Wait()
			continue
		}
		w.flushing = true
		buf, upto := w.pending, w.lastSeq
		w.pending = w.spare[:0]
		w.mu.Unlock()
		err := w.write(buf)
		w.mu.Lock()
		w.spare = buf
		w.flushing = false
		if err != nil {
			w.err = fmt.Errorf("write log: %w", err)
		} else {
			w.durable = upto
		}
		w.flushed.Broadcast()
	}
	return nil
}

func (w *wal) write(buf []byte) error {
	if _, err := w.f.Write(buf); err != nil {
		return err
	}
	if w.sync {
		return w.f.Sync()
	}
	return nil
}

// close writes what lazy appends left queued, then closes the file.
func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lazyTimer != nil {
		w.lazyTimer.Stop()
		w.lazyTimer = nil
	}
	err := w.err
	if err == nil {
		err = w.waitDurable(w.lastSeq)
	}
	w.closed = true
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func createFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

// writeSynced writes data to a new file at path, synced when sync is set.
func writeSynced(path string, data []byte, sync bool) error {
	f, err := createFile(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replaceFile puts data at path atomically: written beside it, synced,
// renamed over it, and the directory synced (sync false skips both syncs,
// for tests). A crash leaves the old file or the new one, never half of one.
func replaceFile(path string, data []byte, sync bool) error {
	tmp := path + ".compact"
	if err := writeSynced(tmp, data, sync); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
