package core

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanEmail checks an email address's shape (one address, no display
// name, at most 254 bytes, a dotted domain) and returns it trimmed. It does
// not change its case: [User] lookups compare addresses case-insensitively.
func CleanEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Invalid("email", "email_required", "Enter your email address.")
	}
	bad := Invalid("email", "invalid_email", "Enter a valid email address, like name@example.com.")
	if len(s) > 254 || !utf8.ValidString(s) {
		return "", bad
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", bad
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad
	}
	return s, nil
}

// CleanName checks a person's display name (at most 100 characters, no
// control characters) and returns it trimmed.
func CleanName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
		return "", Invalid("name", "invalid_name", "Use at most 100 characters for your name.")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", Invalid("name", "invalid_name", "Your name contains characters that are not allowed.")
		}
	}
	return s, nil
}
