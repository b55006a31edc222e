package web

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// WebhooksConfig configures webhook delivery. Endpoints themselves are
// managed by administrators through the API and the admin page (see
// Config.IsAdmin). The zero value works.
type WebhooksConfig struct {
	// AllowedNetworks are internal networks that endpoints may point to,
	// as CIDR prefixes or single addresses, such as "127.0.0.1" for a
	// receiver on the same host or "10.0.0.0/8". Webhooks never reach
	// loopback, private, link-local (cloud metadata) or other special
	// addresses otherwise, neither when an endpoint is saved nor when a
	// connection is made. Plain http is accepted only to these networks.
	// Default none.
	AllowedNetworks []string
	// LookupIP resolves endpoint host names. Default the system resolver.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Poll is how often the dispatcher looks for new events. Default 1 s.
	Poll time.Duration
	// LogRetention is how long delivered and failed messages, with their
	// delivery log, are kept. Default 30 days.
	LogRetention time.Duration
}

// webhookDefaults fills the webhook settings and reports every problem.
func (s *settings) webhookDefaults() []error {
	var errs []error
	w := &s.Webhooks
	if _, err := parseNetworks(w.AllowedNetworks); err != nil {
		errs = append(errs, err)
	}
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Poll < 0 {
		errs = append(errs, fmt.Errorf("Webhooks.Poll %v is negative", w.Poll))
	}
	if w.LogRetention == 0 {
		w.LogRetention = 30 * 24 * time.Hour
	}
	if w.LogRetention < time.Hour {
		errs = append(errs, fmt.Errorf("Webhooks.LogRetention %v is shorter than an hour", w.LogRetention))
	}
	return errs
}

// parseNetworks reads Webhooks.AllowedNetworks.
func parseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, n := range list {
		n = strings.TrimSpace(n)
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(n); err == nil {
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", n))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("Webhooks.AllowedNetworks: %s is not a CIDR prefix or an IP address", strings.Join(bad, ", "))
	}
	return out, nil
}
