package web

import (
	"net/url"
	"strings"
)

// safeRedirect returns raw if it is a place we may send a browser after
// signing in: a path on this site, or a URL on the BaseURL origin or an
// allowed origin. Anything else, including "//evil.com", "/\evil.com" and
// "https:evil.com", gives "".
func (a *Server) safeRedirect(raw string) string {
	if raw == "" || len(raw) > 2048 {
		return ""
	}
	for _, r := range raw {
		if r <= ' ' || r == '\\' || r == 0x7f {
			return ""
		}
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") {
			return ""
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
			return ""
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	if origin == a.s.origin || a.s.redirects[origin] {
		return raw
	}
	return ""
}

// afterSignIn is where a browser goes once signed in.
func (a *Server) afterSignIn(raw string) string {
	if t := a.safeRedirect(raw); t != "" {
		return t
	}
	return "/"
}
