package ui_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// cssRule is one style rule of a stylesheet: its selectors, its
// declarations in order, and the media query it sits in ("" for none).
type cssRule struct {
	selectors []string
	decls     []cssDecl
	media     string
}

type cssDecl struct{ prop, value string }

var cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

// parseCSS reads the style rules of src, including those inside @media
// blocks. It knows just enough CSS for our stylesheets (no nested @media,
// no braces or semicolons inside strings) and fails the test on anything
// it cannot read, so a rule is never skipped unseen.
func parseCSS(t *testing.T, name, src string) []cssRule {
	t.Helper()
	src = cssComment.ReplaceAllString(src, "")
	var rules []cssRule
	var parse func(s, media string) string
	parse = func(s, media string) string {
		for {
			s = strings.TrimSpace(s)
			if s == "" || s[0] == '}' {
				return s
			}
			open := strings.IndexByte(s, '{')
			if open < 0 {
				t.Fatalf("%s: text outside any rule: %q", name, s)
			}
			prelude := strings.TrimSpace(s[:open])
			s = s[open+1:]
			if strings.HasPrefix(prelude, "@media") {
				if media != "" {
					t.Fatalf("%s: nested @media", name)
				}
				s = parse(s, strings.TrimSpace(strings.TrimPrefix(prelude, "@media")))
				if s == "" || s[0] != '}' {
					t.Fatalf("%s: @media %s is not closed", name, prelude)
				}
				s = s[1:]
				continue
			}
			if strings.HasPrefix(prelude, "@") {
				t.Fatalf("%s: at-rule %q is not understood by this test", name, prelude)
			}
			end := strings.IndexByte(s, '}')
			if end < 0 || strings.Contains(s[:end], "{") {
				t.Fatalf("%s: rule %q is not closed", name, prelude)
			}
			r := cssRule{selectors: splitTop(prelude, ','), media: media}
			for _, d := range strings.Split(s[:end], ";") {
				if strings.TrimSpace(d) == "" {
					continue
				}
				prop, value, ok := strings.Cut(d, ":")
				if !ok {
					t.Fatalf("%s: %s: declaration %q has no ':'", name, prelude, d)
				}
				r.decls = append(r.decls, cssDecl{strings.ToLower(strings.TrimSpace(prop)), strings.TrimSpace(value)})
			}
			rules = append(rules, r)
			s = s[end+1:]
		}
	}
	if rest := parse(src, ""); rest != "" {
		t.Fatalf("%s: unbalanced '}' at %q", name, rest)
	}
	return rules
}

// splitTop splits s at sep where sep is outside parentheses and brackets,
// trimming the parts.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case sep:
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

func TestParseCSS(t *testing.T) {
	t.Parallel()
	rules := parseCSS(t, "test.css", `/* a { color: red } */
a, b:is(.x, .y) { color: red; margin : 0 }
@media (prefers-color-scheme: dark) { :root { --c: #fff; } .z{} }
`)
	if len(rules) != 3 {
		t.Fatalf("got %d rules: %+v", len(rules), rules)
	}
	if got := rules[0].selectors; len(got) != 2 || got[1] != "b:is(.x, .y)" {
		t.Errorf("selectors = %q", got)
	}
	if got := rules[0].decls; len(got) != 2 || got[1] != (cssDecl{"margin", "0"}) {
		t.Errorf("declarations = %q", got)
	}
	if r := rules[1]; r.media != "(prefers-color-scheme: dark)" || r.selectors[0] != ":root" || r.decls[0] != (cssDecl{"--c", "#fff"}) {
		t.Errorf("media rule = %+v", r)
	}
}

// The stylesheets use logical properties and values (margin-inline-start,
// inset-inline-end, text-align: start), never physical left or right, so
// that a right-to-left page (dir="rtl") mirrors its layout.
func TestCSSIsDirectionNeutral(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"static/style.css", "static/components.css"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range parseCSS(t, name, string(b)) {
			for _, d := range r.decls {
				if strings.Contains(d.prop, "left") || strings.Contains(d.prop, "right") ||
					regexp.MustCompile(`\b(left|right)\b`).MatchString(d.value) {
					t.Errorf("%s: %s { %s: %s }: use a logical property or value", name, strings.Join(r.selectors, ", "), d.prop, d.value)
				}
				if n := len(strings.Fields(d.value)); (d.prop == "margin" || d.prop == "padding") && n == 4 {
					if f := strings.Fields(d.value); f[1] != f[3] {
						t.Errorf("%s: %s { %s: %s }: left and right differ; use margin-inline or padding-inline", name, strings.Join(r.selectors, ", "), d.prop, d.value)
					}
				}
			}
		}
	}
}
