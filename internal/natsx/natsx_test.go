package natsx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
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

// Mutual TLS against a real server: the client verifies the server with the
// given CA and presents its own certificate, which the server requires.
func TestConnectWithMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	serverCert := issue(t, ca, caKey, "server", x509.ExtKeyUsageServerAuth, filepath.Join(dir, "server"))
	issue(t, ca, caKey, "worker", x509.ExtKeyUsageClientAuth, filepath.Join(dir, "client"))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		TLS: true, TLSVerify: true, TLSTimeout: 2,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(5 * time.Second) {
		t.Fatal("TLS server not ready")
	}
	url := fmt.Sprintf("tls://127.0.0.1:%d", srv.Addr().(*net.TCPAddr).Port)
	good := ClientOptions{TLSCA: filepath.Join(dir, "ca.pem"),
		TLSCert: filepath.Join(dir, "client.pem"), TLSKey: filepath.Join(dir, "client-key.pem"),
		ConnectTimeout: 2 * time.Second}
	roundTrip(t, url, good)

	noCert := good
	noCert.TLSCert, noCert.TLSKey = "", ""
	otherCA, _ := newCA(t)
	writePEM(t, filepath.Join(dir, "other.pem"), "CERTIFICATE", otherCA.Raw)
	wrongCA := good
	wrongCA.TLSCA = filepath.Join(dir, "other.pem")
	for name, o := range map[string]ClientOptions{"no client certificate": noCert, "server not signed by the CA": wrongCA} {
		if nc, err := Connect(url, o); err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		}
	}
}

// A .creds file (user JWT + nkey seed) against a server in operator mode.
func TestConnectWithCredentials(t *testing.T) {
	operator, _ := nkeys.CreateOperator()
	operatorPub, _ := operator.PublicKey()
	account, _ := nkeys.CreateAccount()
	accountPub, _ := account.PublicKey()
	opClaims := jwt.NewOperatorClaims(operatorPub)
	opJWT, err := opClaims.Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	opClaims, _ = jwt.DecodeOperatorClaims(opJWT)
	accJWT, err := jwt.NewAccountClaims(accountPub).Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(accountPub, accJWT); err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		TrustedOperators: []*jwt.OperatorClaims{opClaims}, AccountResolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(5 * time.Second) {
		t.Fatal("server not ready")
	}
	creds := func(signer nkeys.KeyPair) string {
		user, _ := nkeys.CreateUser()
		userPub, _ := user.PublicKey()
		seed, _ := user.Seed()
		userJWT, err := jwt.NewUserClaims(userPub).Encode(signer)
		if err != nil {
			t.Fatal(err)
		}
		file, err := jwt.FormatUserConfig(userJWT, seed)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, string(file))
	}
	roundTrip(t, srv.ClientURL(), ClientOptions{Credentials: creds(account), ConnectTimeout: 2 * time.Second})

	stranger, _ := nkeys.CreateAccount()
	if nc, err := Connect(srv.ClientURL(), ClientOptions{Credentials: creds(stranger), ConnectTimeout: 2 * time.Second}); err == nil {
		nc.Close()
		t.Error("a user of an unknown account connected")
	}
	if nc, err := Connect(srv.ClientURL(), ClientOptions{ConnectTimeout: 2 * time.Second}); err == nil {
		nc.Close()
		t.Error("connected without credentials")
	}
}

// roundTrip connects and checks a request gets its reply.
func roundTrip(t *testing.T, url string, o ClientOptions) {
	t.Helper()
	nc, err := Connect(url, o)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.Subscribe("ping", func(m *nats.Msg) { m.Respond([]byte("pong")) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if m, err := nc.Request("ping", nil, 2*time.Second); err != nil || string(m.Data) != "pong" {
		t.Fatalf("request over the connection: %v", err)
	}
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "logtriage test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// issue signs a certificate for 127.0.0.1 and writes it to base.pem and base-key.pem.
func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, usage x509.ExtKeyUsage, base string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, base+".pem", "CERTIFICATE", der)
	writePEM(t, base+"-key.pem", "EC PRIVATE KEY", keyDER)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
