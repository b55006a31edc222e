package web

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

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
