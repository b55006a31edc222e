package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embedauth/auth/webhook"
)

func TestGuard_CheckAddr(t *testing.T) {
	t.Parallel()
	g := &webhook.Guard{}
	for _, tt := range []struct {
		ip string
		ok bool
	}{
		{"127.0.0.1", false}, {"127.255.0.9", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"169.254.169.254", false}, {"fd00:ec2::254", false}, {"100.100.100.200", false}, {"fe80::1", false},
		{"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false}, {"0.0.0.0", false}, {"::", false},
		{"224.0.0.1", false}, {"255.255.255.255", false}, {"64:ff9b::a9fe:a9fe", false}, {"2002:7f00:1::", false},
		{"198.18.0.1", false}, {"100.64.0.1", false},
		{"93.184.216.34", true}, {"8.8.8.8", true}, {"2606:4700:4700::1111", true}, {"64:ff9b::808:808", true},
	} {
		err := g.CheckAddr(netip.MustParseAddr(tt.ip))
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, webhook.ErrForbiddenAddress)) {
			t.Errorf("CheckAddr(%s) = %v, want ok=%v", tt.ip, err, tt.ok)
		}
	}
	allowed := &webhook.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if err := allowed.CheckAddr(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("explicitly allowed 127.0.0.1: %v", err)
	}
	if err := allowed.CheckAddr(netip.MustParseAddr("127.0.0.2")); err == nil {
		t.Error("127.0.0.2 passed an allowance of 127.0.0.1/32")
	}
}

// resolver answers host names from a table, and can change its answer
// between calls (DNS rebinding).
func resolver(answers map[string][]string) func(ctx context.Context, host string) ([]netip.Addr, error) {
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		list, ok := answers[host]
		if !ok || len(list) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(list[0])}, nil
	}
}

func TestGuard_CheckURL(t *testing.T) {
	t.Parallel()
	g := &webhook.Guard{LookupIP: resolver(map[string][]string{
		"hooks.example.com":          {"93.184.216.34"},
		"internal.example.com":       {"10.0.0.5"},
		"metadata.google.internal":   {"169.254.169.254"},
		"localhost":                  {"127.0.0.1"},
		"same-host.example.com":      {"127.0.0.1"},
		"public-and-private.example": {"93.184.216.34"},
	})}
	ctx := context.Background()
	for _, tt := range []struct {
		url  string
		want error
	}{
		{"https://hooks.example.com/webhooks?x=1", nil},
		{"https://hooks.example.com:8443/w", nil},
		{"http://hooks.example.com/w", webhook.ErrInvalidURL},
		{"ftp://hooks.example.com/w", webhook.ErrInvalidURL},
		{"https:///w", webhook.ErrInvalidURL},
		{"/relative", webhook.ErrInvalidURL},
		{"https://user:pw@hooks.example.com/w", webhook.ErrInvalidURL},
		{"https://hooks.example.com/w#frag", webhook.ErrInvalidURL},
		{"https://hooks.example.com:99999/w", webhook.ErrInvalidURL},
		{"https://nowhere.example.com/w", webhook.ErrInvalidURL},
		{"https://" + strings.Repeat("a", 2000) + ".com/", webhook.ErrInvalidURL},
		{"https://127.0.0.1/w", webhook.ErrForbiddenAddress},
		{"https://[::1]/w", webhook.ErrForbiddenAddress},
		{"https://localhost/w", webhook.ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/", webhook.ErrForbiddenAddress},
		{"https://metadata.google.internal/computeMetadata/v1/", webhook.ErrForbiddenAddress},
		{"https://internal.example.com/w", webhook.ErrForbiddenAddress},
		{"https://[::ffff:10.0.0.1]/w", webhook.ErrForbiddenAddress},
	} {
		_, err := g.CheckURL(ctx, tt.url)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("CheckURL(%.60q) = %v, want %v", tt.url, err, tt.want)
		}
	}
	// An allowed internal network may use plain http.
	local := &webhook.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, LookupIP: g.LookupIP}
	if _, err := local.CheckURL(ctx, "http://same-host.example.com:8080/hooks"); err != nil {
		t.Errorf("allowed same-host receiver: %v", err)
	}
}

// TestT47_DNSRebindingRefusedAtConnect resolves a name to a public address
// when the endpoint is saved and to 127.0.0.1 when the dispatcher
// connects: the dial is refused, and the receiver listening on 127.0.0.1
// never sees a request. 169.254.169.254 and 127.0.0.1 given directly are
// refused at connect too.
func TestT47_DNSRebindingRefusedAtConnect(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	var calls atomic.Int64
	g := &webhook.Guard{LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
		if calls.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil // when checked
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil // when dialed
	}}
	u := "https://rebind.example.com:" + port + "/hook"
	if _, err := g.CheckURL(context.Background(), u); err != nil {
		t.Fatalf("the URL was refused when saved (the public answer): %v", err)
	}
	client := g.Client(webhook.DefaultTimeout)
	if client.Timeout != 15*time.Second || client.CheckRedirect == nil || client.Transport.(*http.Transport).Proxy != nil {
		t.Fatalf("delivery client: timeout %v, redirects followed %v, proxy %v", client.Timeout, client.CheckRedirect == nil, client.Transport.(*http.Transport).Proxy != nil)
	}
	for _, target := range []string{"http://rebind.example.com:" + port + "/hook", "http://127.0.0.1:" + port + "/", "http://169.254.169.254/latest/meta-data/"} {
		resp, err := client.Post(target, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("POST %s went through (status %d)", target, resp.StatusCode)
		}
		if !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Fatalf("POST %s: %v, want ErrForbiddenAddress", target, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback receiver got %d requests", hits.Load())
	}
	// The same receiver is reached once 127.0.0.1 is explicitly allowed.
	ok := &webhook.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	resp, err := ok.Client(webhook.DefaultTimeout).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("allowed receiver got %d requests, want 1", hits.Load())
	}
}
