//go:build !unix

package main

// lockDataDir: no advisory locks here; the embedded store's own lock still
// keeps a second process out of the store.
func lockDataDir(string) (func(), error) { return func() {}, nil }
