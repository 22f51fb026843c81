package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/internal/keyring"
)

func init() {
	register("keys", command{summary: "key administration: rotate re-wraps the data keys under a new master key", run: runKeys})
}

const nextMasterKeyName = "master.key.next"

func runKeys(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, "rotate", stderr, "usage: logtriage keys rotate [flags]"); !ok {
		return code
	}
	var f maintFlags
	fs := newFlagSet(stderr, "keys rotate", "usage: logtriage keys rotate [--new-master-key-file FILE] [--data-dir DIR | --database-url URL]",
		"\nRe-wraps every tenant's data key under a new master key; the data is not re-encrypted. On the embedded",
		"default it also re-keys the JetStream files and replaces DATA_DIR/keys/master.key. Stop serve (every",
		"worker, with PostgreSQL) first, and start them with the new key after.")
	f.register(fs)
	newFile := fs.String("new-master-key-file", "", "the new master key (generated there when the file does not exist); required when the current key is configured rather than in DATA_DIR/keys")
	if err := fs.Parse(args[1:]); err != nil {
		return parseExit(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage keys rotate:", err)
		return 1
	}
	log := stderrLogger(stderr)
	keys, err := f.keys.load(f.dataDir, os.Getenv, log, false)
	if err != nil {
		return fail(err)
	}
	nextPath := *newFile
	if nextPath == "" {
		if !keys.masterFromDir {
			return fail(errors.New("the master key is configured (flag or environment): give --new-master-key-file for the new one"))
		}
		// Kept beside the current key until the rotation is complete, so a
		// rotation cut short is finished by running it again.
		nextPath = filepath.Join(keys.keysDir, nextMasterKeyName)
	}
	text, _, err := keyring.LoadOrCreate(nextPath)
	if err != nil {
		return fail(err)
	}
	next, err := keyring.ParseMaster(text)
	if err != nil {
		return fail(err)
	}
	if next.ID() == keys.master.ID() {
		return fail(errors.New("the new master key is the current one"))
	}
	store, err := openKeyedStore(ctx, f.dbURL, f.dataDir, keys)
	if err != nil {
		return fail(err)
	}
	n, err := store.keys.Rotate(ctx, next)
	store.Close()
	if err != nil {
		return fail(fmt.Errorf("re-wrap data keys: %w (run it again with the same new key to finish)", err))
	}
	if err := rewrapJetStreamKey(keys, next); err != nil {
		return fail(fmt.Errorf("re-wrap the JetStream key: %w (run it again with the same new key to finish)", err))
	}
	if keys.masterFromDir {
		if err := installMasterKey(keys.keysDir, nextPath, text); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(stdout, "re-wrapped %d data keys under master key %s (was %s); the old master key is no longer needed\n", n, next.ID(), keys.master.ID())
	if !keys.masterFromDir {
		fmt.Fprintf(stdout, "start every worker with the new key: LOGTRIAGE_MASTER_KEY_FILE=%s (or --master-key-file)\n", *newFile)
	}
	return 0
}

// installMasterKey makes text DATA_DIR/keys/master.key, replacing the old
// key atomically (a rename), and drops the next-key file.
func installMasterKey(keysDir, nextPath string, text []byte) error {
	dst := filepath.Join(keysDir, masterKeyName)
	tmp := filepath.Join(keysDir, ".master.key.tmp")
	if err := os.WriteFile(tmp, append(text, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if nextPath == filepath.Join(keysDir, nextMasterKeyName) {
		return os.Remove(nextPath)
	}
	return nil
}

// rewrapJetStreamKey puts the embedded server's JetStream key under next.
// Already under next (a rotation run again) or absent (no embedded server
// here) is nothing to do.
func rewrapJetStreamKey(keys serviceKeys, next *keyring.Master) error {
	p := filepath.Join(keys.keysDir, jetStreamKeyName)
	w, err := readWrappedFile(p)
	if errors.Is(err, fs.ErrNotExist) || err == nil && w.MasterID == next.ID() {
		return nil
	}
	if err != nil {
		return err
	}
	raw, err := keyring.UnwrapSecret(keys.master, "jetstream", w)
	if err != nil {
		return err
	}
	nw, err := keyring.WrapSecret(next, "jetstream", raw)
	if err != nil {
		return err
	}
	nw.Created = w.Created
	return writeWrappedFile(p, nw, true)
}
