package signup

import (
	"context"
	"fmt"
	"strings"

	"github.com/embedauth/auth/core"
)

// Refusals of a sign-up. Their codes are stable.
var (
	// ErrRestricted is a sign-up without an invitation while sign-up is
	// restricted.
	ErrRestricted = core.Refuse(core.ErrForbidden, "sign_up_restricted",
		"Sign-up is by invitation only. Ask for an invitation, then sign up with the address it was sent to.")
	// ErrWaitlist is a sign-up without an invitation while sign-up is in
	// waitlist mode.
	ErrWaitlist = core.Refuse(core.ErrForbidden, "sign_up_waitlist",
		"Sign-up is not open yet. Join the waitlist and we'll email you an invitation.")
	// ErrEmailBlocked is an address or domain on the blocklist.
	ErrEmailBlocked = core.Invalid("email", "email_blocked", "This email address can't be used to sign up.")
	// ErrEmailDisposable is an address at a disposable-email domain.
	ErrEmailDisposable = core.Invalid("email", "email_disposable",
		"Disposable email addresses can't be used to sign up. Use an address you'll keep.")
	// ErrTooManySignUps is a client over its sign-up velocity limit.
	ErrTooManySignUps = core.Refuse(core.ErrRateLimited, "too_many_sign_ups",
		"Too many accounts were created from your network. Try again later.")
)

// Store is what the rule needs from storage.
type Store interface {
	// SignUpSettings returns the settings an administrator saved, and
	// false when there are none.
	SignUpSettings(ctx context.Context) (core.SignUpSettings, bool, error)
	// SignUpInvited reports whether email has a live invitation to sign
	// up or to join an organization.
	SignUpInvited(ctx context.Context, email string) (bool, error)
}

// Config is the configured rule, used until an administrator saves
// settings of their own.
type Config struct {
	// Defaults are the mode and lists in force until an administrator
	// saves others. An empty Mode is core.SignUpPublic.
	Defaults core.SignUpSettings
	// Disposable is the set of disposable-email domains refused; nil
	// refuses none.
	Disposable DomainSet
}

// Gate decides who may sign up.
type Gate struct {
	store Store
	cfg   Config
}

// New returns the rule over store.
func New(store Store, cfg Config) *Gate {
	if cfg.Defaults.Mode == "" {
		cfg.Defaults.Mode = core.SignUpPublic
	}
	return &Gate{store: store, cfg: cfg}
}

// Settings returns the settings in force: those an administrator saved,
// or else the configured ones.
func (g *Gate) Settings(ctx context.Context) (core.SignUpSettings, error) {
	s, ok, err := g.store.SignUpSettings(ctx)
	if err != nil {
		return s, fmt.Errorf("signup: settings: %w", err)
	}
	if !ok {
		return g.cfg.Defaults, nil
	}
	return s, nil
}

// Check reports whether email may create an account: nil, or one of the
// refusals above. An empty email (a phone number, a social identity
// without a verified address) is judged by the mode alone.
func (g *Gate) Check(ctx context.Context, email string) error {
	s, err := g.Settings(ctx)
	if err != nil {
		return err
	}
	if email != "" {
		domain := domainOf(email)
		if matches(s.Blocklist, email, domain) {
			return ErrEmailBlocked
		}
		if matches(s.Allowlist, email, domain) {
			return nil
		}
		if g.cfg.Disposable.Contains(domain) {
			return ErrEmailDisposable
		}
	}
	if s.Mode == core.SignUpPublic || s.Mode == "" {
		return nil
	}
	if email != "" {
		invited, err := g.store.SignUpInvited(ctx, email)
		if err != nil {
			return fmt.Errorf("signup: check: %w", err)
		}
		if invited {
			return nil
		}
	}
	if s.Mode == core.SignUpWaitlist {
		return ErrWaitlist
	}
	return ErrRestricted
}

// Clean checks settings an administrator submits: a known mode, and list
// entries that are an address or a domain. Entries are lower-cased,
// trimmed and deduplicated; every fault is reported, by field.
func Clean(s core.SignUpSettings) (core.SignUpSettings, error) {
	if s.Mode == "" {
		s.Mode = core.SignUpPublic
	}
	if !s.Mode.Valid() {
		return s, core.Invalid("mode", "invalid_mode", "Choose public, restricted or waitlist.")
	}
	var err error
	if s.Allowlist, err = cleanList("allowlist", s.Allowlist); err != nil {
		return s, err
	}
	if s.Blocklist, err = cleanList("blocklist", s.Blocklist); err != nil {
		return s, err
	}
	return s, nil
}

// MaxListEntries bounds each list.
const MaxListEntries = 10_000

func cleanList(field string, in []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, e := range in {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || seen[e] {
			continue
		}
		if !validEntry(e) {
			return nil, core.Invalid(field, "invalid_list_entry", fmt.Sprintf("%q is neither an email address nor a domain.", truncate(e, 80)))
		}
		seen[e] = true
		out = append(out, e)
	}
	if len(out) > MaxListEntries {
		return nil, core.Invalid(field, "list_too_long", fmt.Sprintf("A list holds at most %d entries.", MaxListEntries))
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// validEntry accepts "user@domain.tld" and "domain.tld" (also "@domain.tld").
func validEntry(e string) bool {
	if len(e) > 320 || strings.ContainsAny(e, " \t\r\n,;<>\"'") {
		return false
	}
	local, domain, hasAt := strings.Cut(e, "@")
	if hasAt && strings.Contains(domain, "@") {
		return false
	}
	if !hasAt {
		domain = local
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	return true
}

// domainOf returns the lower-cased domain of an address.
func domainOf(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

// matches reports whether list names email itself or its domain (or a
// parent of it).
func matches(list []string, email, domain string) bool {
	if len(list) == 0 {
		return false
	}
	email = strings.ToLower(email)
	var domains []string
	for _, e := range list {
		if strings.Contains(strings.TrimPrefix(e, "@"), "@") {
			if e == email {
				return true
			}
			continue
		}
		domains = append(domains, e)
	}
	return NewDomainSet(domains).Contains(domain)
}
