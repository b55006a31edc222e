package auth

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
)

func errorsIsNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

// cleanEmail checks an email address's shape and returns it trimmed.
func cleanEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", httpx.FieldError("email", "email_required", "Enter your email address.")
	}
	bad := httpx.FieldError("email", "invalid_email", "Enter a valid email address, like name@example.com.")
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

// cleanName checks a display name: at most 100 characters, no control
// characters.
func cleanName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
		return "", httpx.FieldError("name", "invalid_name", "Use at most 100 characters for your name.")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", httpx.FieldError("name", "invalid_name", "Your name contains characters that are not allowed.")
		}
	}
	return s, nil
}

// cleanCode checks a 6-digit code's shape; spaces typed inside it are
// dropped.
func cleanCode(raw string) (string, error) {
	s, err := onetime.CleanCode(strings.ReplaceAll(raw, " ", ""), 6)
	if err != nil {
		return "", httpx.FieldError("code", "invalid_code", "Enter the 6-digit code from the email.")
	}
	return s, nil
}

// maskEmail shows enough of an address to recognise it: "a***@example.com".
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(email)
	return string(first) + "***" + email[at:]
}

// describeDevice turns a User-Agent into "Chrome on macOS".
func describeDevice(ua string) string {
	browser := "Unknown browser"
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "OPR/"):
		browser = "Opera"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "HeadlessChrome/"):
		browser = "Headless Chrome"
	case strings.Contains(ua, "Chrome/"), strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	case strings.HasPrefix(ua, "curl/"):
		browser = "curl"
	case strings.HasPrefix(ua, "Go-http-client/"):
		browser = "Go HTTP client"
	}
	os := ""
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		os = "iOS"
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		os = "macOS"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "CrOS"):
		os = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	if os == "" {
		return browser
	}
	return browser + " on " + os
}
