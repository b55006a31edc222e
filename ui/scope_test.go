package ui_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// componentRoots are the classes of the components' root elements: the
// only parts of an app's page the components' stylesheet may style.
var componentRoots = []string{"ea-userbutton", "ea-orgswitcher"}

// TestComponentStylesheetIsScoped: the stylesheets an app links with
// Stylesheets sit in the app's own pages, so they must style nothing of
// the app's: every selector of every rule, in and out of @media, reaches
// only a component's root element or what is inside it.
func TestComponentStylesheetIsScoped(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	links := regexp.MustCompile(`href="/auth/static/([^"?]+)\?v=[0-9a-f]+"`).FindAllStringSubmatch(string(u.Stylesheets("/auth")), -1)
	if len(links) == 0 {
		t.Fatalf("Stylesheets links nothing: %s", u.Stylesheets("/auth"))
	}
	for _, l := range links {
		w := httptest.NewRecorder()
		u.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/"+l[1], nil))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: HTTP status %d", l[1], w.Code)
		}
		rules := parseCSS(t, l[1], w.Body.String())
		if len(rules) == 0 {
			t.Errorf("%s holds no rules", l[1])
		}
		for _, r := range rules {
			for _, sel := range r.selectors {
				if !scopedToComponent(sel) {
					t.Errorf("%s: selector %q (media %q) reaches outside the components", l[1], sel, r.media)
				}
			}
		}
	}
}

// scopedToComponent reports whether the selector matches only a component
// root or its descendants: some compound selector names a root class
// (outside any :not() or :is()), and only descendant or child combinators
// follow it (a sibling combinator would reach the app's elements).
func scopedToComponent(sel string) bool {
	compounds, combinators := splitCompounds(sel)
	root := -1
	for i, c := range compounds {
		for _, cls := range componentRoots {
			if hasClass(stripParens(c), cls) {
				root = i
			}
		}
	}
	if root < 0 {
		return false
	}
	for _, comb := range combinators[root:] {
		if comb != ' ' && comb != '>' {
			return false
		}
	}
	return true
}

// splitCompounds splits a complex selector into its compound selectors
// and the combinators between them (' ' for a descendant).
func splitCompounds(sel string) (compounds []string, combinators []byte) {
	depth := 0
	var cur strings.Builder
	pending := byte(0)
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		if len(compounds) > 0 {
			combinators = append(combinators, pending)
		}
		compounds = append(compounds, cur.String())
		cur.Reset()
		pending = 0
	}
	for i := 0; i < len(sel); i++ {
		c := sel[i]
		switch {
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case depth == 0 && (c == ' ' || c == '>' || c == '+' || c == '~'):
			flush()
			if c != ' ' || pending == 0 {
				pending = c
			}
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	return compounds, combinators
}

var parens = regexp.MustCompile(`\([^()]*\)`)

// stripParens removes the arguments of functional pseudo-classes, so a
// class named only inside :not() does not count.
func stripParens(s string) string {
	for parens.MatchString(s) {
		s = parens.ReplaceAllString(s, "")
	}
	return s
}

// hasClass reports whether the compound selector c names class cls.
func hasClass(c, cls string) bool {
	return regexp.MustCompile(`\.` + regexp.QuoteMeta(cls) + `($|[^A-Za-z0-9_-])`).MatchString(c)
}

func TestScopedToComponent(t *testing.T) {
	t.Parallel()
	for sel, want := range map[string]bool{
		".ea-userbutton":                        true,
		".ea-userbutton summary":                true,
		".ea-orgswitcher > .ea-menu a:hover":    true,
		"details.ea-orgswitcher[open] .ea-menu": true,
		".ea-userbutton *::before":              true,
		"a":                                     false,
		"*":                                     false,
		":root":                                 false,
		"[hidden]":                              false,
		".ea-menu":                              false,
		".ea-userbutton-x a":                    false,
		":not(.ea-userbutton) a":                false,
		".ea-userbutton + a":                    false,
		".ea-orgswitcher ~ p span":              false,
		"a:is(.ea-orgswitcher)":                 false,
	} {
		if got := scopedToComponent(sel); got != want {
			t.Errorf("scopedToComponent(%q) = %v, want %v", sel, got, want)
		}
	}
}
