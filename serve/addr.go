package serve

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// CheckAddr checks the syntax of an address to serve on: [HOST]:PORT, or a
// bare PORT. It looks nothing up; Listen does. Its error describes addr
// alone, for a command to put after its flag's name.
func CheckAddr(addr string) error {
	_, err := hostPort(addr)
	return err
}

// hostPort splits addr into what net.Listen takes, with 127.0.0.1 for a
// missing host.
func hostPort(addr string) (string, error) {
	if addr != "" && strings.Trim(addr, "0123456789") == "" {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", errors.New("want [HOST]:PORT, e.g. :8080 or 127.0.0.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Listen binds addr ([HOST]:PORT or PORT; without a host, 127.0.0.1, so
// that only this machine reaches the page unless asked otherwise) for
// Server.Serve. Port 0 picks a free port. Its error is one line that
// describes addr alone: a bad address, a host that does not resolve or
// is not this machine's, a port in use.
func Listen(addr string) (net.Listener, error) {
	hp, err := hostPort(addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", hp)
	if err == nil {
		return l, nil
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s is in use (another server holds it; pick another port)", hp)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, fmt.Errorf("%s is not an address of this machine", hp)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("%s: permission denied (ports below 1024 need privileges)", hp)
	case errors.As(err, &dns):
		return nil, fmt.Errorf("host %q: %v", dns.Name, dns.Err)
	}
	return nil, err
}

// Exposed reports whether l accepts connections from beyond this machine
// (it is not bound to a loopback address): then anyone who can reach the
// port can watch.
func Exposed(l net.Listener) bool {
	a, ok := l.Addr().(*net.TCPAddr)
	return !ok || !a.IP.IsLoopback()
}

// allowedHost reports whether a request's Host header may reach a server
// bound to loopback: localhost, or an address. A page of another site that
// a DNS name rebinds to 127.0.0.1 sends its own name and is refused, so
// that no web page the user visits can read the run.
func allowedHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil
}
