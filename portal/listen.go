package portal

import (
	"fmt"
	"net"
	"net/netip"
)

// CheckListen is the listener policy: without TLS the portal serves only
// loopback (a password or a session cookie in clear text must not cross a
// network) unless the operator says --insecure-listen, e.g. behind a
// TLS-terminating proxy on the same host. The note says what was decided,
// for the start-up log.
func CheckListen(addr string, tls, insecure bool) (note string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", addr, err)
	}
	if tls {
		return "TLS", nil
	}
	loopback := host == "localhost"
	if ip, perr := netip.ParseAddr(host); perr == nil {
		loopback = ip.IsLoopback()
	}
	switch {
	case loopback:
		return "no TLS: loopback only (give --tls-cert and --tls-key to serve other machines)", nil
	case insecure:
		return "WARNING: no TLS on a non-loopback address (--insecure-listen): passwords, tokens and cookies cross the network in clear text", nil
	}
	return "", fmt.Errorf("--listen %s is not a loopback address and no TLS is configured: give --tls-cert and --tls-key, "+
		"or --insecure-listen if a TLS proxy on this host fronts it", addr)
}
