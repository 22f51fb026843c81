package natsx

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestEmbeddedServerKeepsJetStreamOnDisk(t *testing.T) {
	dir := t.TempDir()
	srv, err := StartServer(ServerOptions{Port: -1, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Connect(srv.ClientURL(), ClientOptions{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: nats.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish("t.1", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	if entries, _ := os.ReadDir(filepath.Join(dir, "jetstream")); len(entries) == 0 {
		t.Fatalf("no JetStream files under %s", dir)
	}

	// A restart on the same directory finds the message again.
	srv, err = StartServer(ServerOptions{Port: -1, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err = Connect(srv.ClientURL(), ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = nc.JetStream()
	m, err := js.GetMsg("T", 1)
	if err != nil || string(m.Data) != "kept" {
		t.Fatalf("after restart: %v %+v", err, m)
	}
}

func TestStartServerErrors(t *testing.T) {
	if _, err := StartServer(ServerOptions{Port: -1}); err == nil {
		t.Error("started without a store directory")
	}
	srv, err := StartServer(ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	port := srv.Addr().(*net.TCPAddr).Port
	if _, err := StartServer(ServerOptions{Port: port, StoreDir: t.TempDir(), ReadyTimeout: 500 * time.Millisecond}); err == nil {
		t.Error("a second server on a port in use reported ready")
	}
}

func TestConnectErrors(t *testing.T) {
	for name, o := range map[string]ClientOptions{
		"missing CA":       {TLSCA: filepath.Join(t.TempDir(), "nope.pem")},
		"cert without key": {TLSCert: "c.pem"},
		"CA without PEM":   {TLSCA: writeFile(t, "not a certificate")},
	} {
		if _, err := Connect("nats://127.0.0.1:1", o); err == nil {
			t.Errorf("%s: connected", name)
		}
	}
	if _, err := Connect("nats://127.0.0.1:1", ClientOptions{ConnectTimeout: 200 * time.Millisecond}); err == nil {
		t.Error("connected to a closed port")
	}
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
