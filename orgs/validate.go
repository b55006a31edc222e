package orgs

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
)

// Limits on what an organization may be called.
const (
	MaxNameLength = 100 // characters
	MinSlugLength = 2
	MaxSlugLength = 50
	MaxLogoURL    = 2048 // bytes
)

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })

func isControl(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// CleanName checks an organization's name and returns it trimmed: 1 to
// MaxNameLength characters, without control characters.
func CleanName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", invalid("name", "name_required", "Enter the organization's name.")
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLength:
		return "", invalid("name", "invalid_name", "Use at most 100 characters for the organization's name.")
	case strings.ContainsFunc(s, isControl):
		return "", invalid("name", "invalid_name", "The name contains characters that are not allowed.")
	}
	return s, nil
}

// CleanSlug checks a slug: MinSlugLength to MaxSlugLength lower-case
// letters, digits and single hyphens, not at either end.
func CleanSlug(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) < MinSlugLength || len(s) > MaxSlugLength || !slugRE().MatchString(s) {
		return "", invalid("slug", "invalid_slug", "Use 2 to 50 lower-case letters, digits and single hyphens for the slug, like acme-inc.")
	}
	return s, nil
}

// Slugify derives a slug from a name: "Acme, Inc." gives "acme-inc". It
// may return "" for a name without letters or digits.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= MaxSlugLength {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > MaxSlugLength {
		s = strings.Trim(s[:MaxSlugLength], "-")
	}
	return s
}

// CleanLogoURL checks a logo URL: empty, or an absolute https URL of at
// most MaxLogoURL bytes whose host is a public-looking domain name.
//
// Members' browsers load the logo, so it must not make them reach into
// their own machine or network: plain http is refused (even for
// localhost, whatever the app's BaseURL), and so are hosts that are IP
// addresses in any notation, "localhost" and its subdomains, single-label
// names and names outside ASCII (enter an international name in its
// xn-- form). Every refusal is Code "invalid_logo_url" on Field
// "logo_url".
func CleanLogoURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	bad := invalid("logo_url", "invalid_logo_url", "Enter the logo as an https:// URL of an image.")
	if len(s) > MaxLogoURL || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" || !publicHostName(u.Hostname()) {
		return "", bad
	}
	return s, nil
}

// publicHostName reports whether host is a domain name of at least two
// ASCII labels whose last is alphabetic (or an xn-- label), and not
// localhost or one of its subdomains. Browsers read a name whose last
// label is a number (127.1, 2130706433, 0x7f.1) as an IPv4 address, and
// an IPv6 address has colons: neither passes.
func publicHostName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !labelRE().MatchString(l) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if tld == "localhost" {
		return false
	}
	return strings.HasPrefix(tld, "xn--") || (len(tld) >= 2 && !strings.ContainsFunc(tld, func(r rune) bool { return r < 'a' || r > 'z' }))
}

// CleanEmail checks an address to invite (see [core.CleanEmail]) and
// returns it trimmed.
func CleanEmail(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", invalid("email", "email_required", "Enter an email address.")
	}
	return core.CleanEmail(raw)
}

// EmailDomain returns the lower-case domain of an address ("" if none).
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(email[at+1:], "."))
}

var labelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`) })

// CleanDomain checks a domain to claim and returns it in lower case: a
// name of at least two labels with an alphabetic top level, such as
// "example.com", that is not a public mail provider.
func CleanDomain(raw string) (string, error) {
	s := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	bad := invalid("name", "invalid_domain", "Enter a domain name, like example.com, without http:// or an address.")
	if s == "" || len(s) > 253 {
		return "", bad
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", bad
	}
	for _, l := range labels {
		if !labelRE().MatchString(l) {
			return "", bad
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.ContainsFunc(tld, func(r rune) bool { return r < 'a' || r > 'z' }) {
		if !strings.HasPrefix(tld, "xn--") {
			return "", bad
		}
	}
	if IsPublicDomain(s) {
		return "", invalid("name", "public_domain", "Public mail domains like gmail.com cannot belong to an organization.")
	}
	return s, nil
}
