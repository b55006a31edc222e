package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress means a URL or a connection leads to a loopback,
// private, link-local, metadata or otherwise special address that the
// configuration does not allow.
var ErrForbiddenAddress = errors.New("webhook: address not allowed")

// ErrInvalidURL means an endpoint URL is not an absolute http(s) URL, or
// uses plain http to a public address.
var ErrInvalidURL = errors.New("webhook: invalid endpoint URL")

// forbidden are the networks webhooks never reach unless allowed: this
// host, private and shared address space, link-local (where cloud metadata
// services live: 169.254.169.254, fd00:ec2::254, 100.100.100.200),
// multicast, documentation and other special-purpose ranges.
var forbidden = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64 embeds an IPv4 address in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard keeps webhook requests away from internal networks (SSRF): it
// checks an endpoint's URL when the endpoint is saved, and every
// connection's actual address when it is made (a net.Dialer Control
// function), so a name that resolves to a public address when checked and
// to an internal one when dialed (DNS rebinding) is still refused.
type Guard struct {
	// Allowed are networks reachable despite being internal, such as
	// 127.0.0.1/32 for a receiver on the same host. Default none.
	Allowed []netip.Prefix
	// LookupIP resolves host names. Default net.DefaultResolver.LookupNetIP.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// CheckAddr returns ErrForbiddenAddress unless ip is public or allowed.
func (g *Guard) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.Allowed {
		if p.Contains(ip) {
			return nil
		}
	}
	check := ip
	if nat64.Contains(ip) {
		b := ip.As16()
		check = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if !check.IsValid() || check.IsLoopback() || check.IsPrivate() || check.IsLinkLocalUnicast() ||
		check.IsLinkLocalMulticast() || check.IsMulticast() || check.IsUnspecified() {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	for _, p := range forbidden {
		if p.Contains(check) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
		}
	}
	return nil
}

// allowed reports whether ip is inside one of the Allowed networks.
func (g *Guard) allowed(ip netip.Addr) bool {
	for _, p := range g.Allowed {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	if g.LookupIP != nil {
		return g.LookupIP(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// CheckURL checks an endpoint URL when it is saved: absolute http or
// https, no user info or fragment, at most 2000 bytes, and every address
// its host resolves to public or allowed. Plain http is accepted only to
// allowed networks (same-host receivers); anything public needs https,
// since payloads carry personal data.
func (g *Guard) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	if len(raw) > 2000 {
		return nil, fmt.Errorf("%w: longer than 2000 bytes", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%w: the scheme must be https", ErrInvalidURL)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.User != nil:
		return nil, fmt.Errorf("%w: user info is not allowed", ErrInvalidURL)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%w: a fragment is not allowed", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		if n, err := net.LookupPort("tcp", p); err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: bad port %q", ErrInvalidURL, p)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := g.lookup(ctx, u.Hostname())
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%w: the host %q does not resolve", ErrInvalidURL, u.Hostname())
	}
	internal := true
	for _, ip := range ips {
		if err := g.CheckAddr(ip); err != nil {
			return nil, err
		}
		internal = internal && g.allowed(ip)
	}
	if u.Scheme == "http" && !internal {
		return nil, fmt.Errorf("%w: use https (plain http only to an allowed internal network)", ErrInvalidURL)
	}
	return u, nil
}

// Control is a net.Dialer Control function: it refuses to connect to a
// forbidden address, whatever name led there.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	return g.CheckAddr(ip)
}

// DialContext resolves addr with LookupIP and connects to its addresses
// in turn through a dialer whose Control is the guard's.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := g.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 10 * time.Second, Control: g.Control}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("webhook: %s resolves to no address", host)
	}
	return nil, errors.Join(errs...)
}

// Client returns an HTTP client for deliveries: every connection through
// the guard, no proxy (a proxy would hide the real destination), no
// redirects followed (a 3xx is a failed delivery), and timeout per
// request.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
