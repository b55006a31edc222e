package ui_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/embedauth/auth/ui"
)

// WCAG 2 AA: text (1.4.3) and focus indicators (1.4.11, 2.4.13's floor).
const (
	aaText  = 4.5
	aaFocus = 3.0
)

// TestContrastAA computes, from the served stylesheets, the contrast of
// every color the pages and components declare, in the light and the dark
// color scheme, for the default theme and for primary colors an app might
// configure (light, dark, saturated), and fails below WCAG AA:
//
//   - a rule's text color against the rule's own background, or, when the
//     rule sets none, against the surfaces it can sit on (card and page);
//   - a rule that sets a background but no color keeps the inherited text
//     color readable on it;
//   - outlines, and every color of a :focus rule, against the surfaces.
func TestContrastAA(t *testing.T) {
	t.Parallel()
	themes := []string{"", "#4f46e5", "#fbbf24", "#22c55e", "#0ea5e9", "#1e1b4b", "#000", "#ffffff", "#777777", "#DB2777", "rgb(124, 58, 237)", "rgb(255 255 0)"}
	for _, primary := range themes {
		t.Run(fmt.Sprintf("primary=%q", primary), func(t *testing.T) {
			t.Parallel()
			u, err := ui.New(nil, ui.Theme{PrimaryColor: primary, Radius: "8px", FontFamily: "serif"})
			if err != nil {
				t.Fatal(err)
			}
			sheets := map[string][]string{
				"pages":      {"style.css", "theme.css"},
				"components": {"components.css"},
			}
			for what, files := range sheets {
				var rules []cssRule
				for _, f := range files {
					rules = append(rules, parseCSS(t, f, serve(t, u, f))...)
				}
				for _, scheme := range []string{"light", "dark"} {
					checkContrast(t, what+" "+scheme, active(rules, scheme))
				}
			}
		})
	}
}

// serve returns the static file name of u.
func serve(t *testing.T, u *ui.UI, name string) string {
	t.Helper()
	w := httptest.NewRecorder()
	u.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/"+name, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("%s: HTTP status %d", name, w.Code)
	}
	return w.Body.String()
}

// active returns the rules that apply in the color scheme, in order.
// Other media conditions (widths) are taken to apply: they do not change
// colors.
func active(rules []cssRule, scheme string) []cssRule {
	var out []cssRule
	for _, r := range rules {
		switch {
		case strings.Contains(r.media, "prefers-color-scheme: dark") && scheme != "dark",
			strings.Contains(r.media, "prefers-color-scheme: light") && scheme != "light":
			continue
		}
		out = append(out, r)
	}
	return out
}

func checkContrast(t *testing.T, what string, rules []cssRule) {
	t.Helper()
	vars := map[string]string{}
	for _, r := range rules {
		for _, d := range r.decls {
			if strings.HasPrefix(d.prop, "--") {
				vars[d.prop] = d.value
			}
		}
	}
	color := func(r cssRule, value string) (c rgbColor, ok bool) {
		t.Helper()
		v := resolveVars(value, vars)
		tok := colorToken.FindString(v)
		switch strings.ToLower(tok) {
		case "", "transparent", "none", "inherit", "currentcolor", "initial", "unset":
			return c, false
		}
		c, err := parseTestColor(tok)
		if err != nil {
			t.Errorf("%s: %s: %q (= %q): %v", what, r.selectors, value, v, err)
			return c, false
		}
		return c, true
	}
	surface := func(name string) rgbColor {
		t.Helper()
		c, err := parseTestColor(resolveVars("var("+name+")", vars))
		if err != nil {
			t.Fatalf("%s: surface %s: %v", what, name, err)
		}
		return c
	}
	surfaces := map[string]rgbColor{"--ea-card": surface("--ea-card"), "--ea-bg": surface("--ea-bg")}
	text := surface("--ea-text")
	need := func(r cssRule, role string, fg, bg rgbColor, bgName string, min float64) {
		t.Helper()
		if got := fg.contrast(bg); got < min {
			t.Errorf("%s: %s: %s %s on %s %s: contrast %.2f:1, want at least %.1f:1",
				what, strings.Join(r.selectors, ", "), role, fg, bgName, bg, got, min)
		}
	}
	checked := 0
	for _, r := range rules {
		var fg, bg *rgbColor
		focus := strings.Contains(strings.Join(r.selectors, ","), ":focus")
		for _, d := range r.decls {
			switch {
			case d.prop == "color":
				if c, ok := color(r, d.value); ok {
					fg = &c
				}
			case d.prop == "background" || d.prop == "background-color":
				if c, ok := color(r, d.value); ok {
					bg = &c
				}
			case d.prop == "outline" || d.prop == "outline-color" ||
				focus && strings.HasPrefix(d.prop, "border") && (strings.HasSuffix(d.prop, "color") || d.prop == "border"):
				if c, ok := color(r, d.value); ok {
					for name, s := range surfaces {
						need(r, "focus indicator", c, s, name, aaFocus)
					}
					checked++
				}
			}
		}
		switch {
		case fg != nil && bg != nil:
			need(r, "text", *fg, *bg, "its background", aaText)
		case fg != nil:
			for name, s := range surfaces {
				need(r, "text", *fg, s, name, aaText)
			}
		case bg != nil:
			need(r, "inherited text", text, *bg, "its background", aaText)
		default:
			continue
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("%s: only %d colors checked; is the stylesheet parsed?", what, checked)
	}
}

var (
	varRef     = regexp.MustCompile(`var\(\s*(--[A-Za-z0-9_-]+)\s*(?:,\s*([^()]*))?\)`)
	colorToken = regexp.MustCompile(`#[0-9a-fA-F]{3,8}\b|rgba?\([^)]*\)|\b(?i:transparent|none|inherit|currentcolor|initial|unset|white|black)\b`)
)

// resolveVars substitutes var() references with the variables' values
// (or their fallbacks), repeatedly, as the browser would.
func resolveVars(v string, vars map[string]string) string {
	for range 10 {
		next := varRef.ReplaceAllStringFunc(v, func(ref string) string {
			m := varRef.FindStringSubmatch(ref)
			if val, ok := vars[m[1]]; ok {
				return val
			}
			return m[2]
		})
		if next == v {
			break
		}
		v = next
	}
	return v
}

// rgbColor is an sRGB color, channels 0 to 1. The test computes WCAG
// contrast itself rather than trust the code it tests.
type rgbColor struct{ r, g, b float64 }

func (c rgbColor) String() string {
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c.r*255)), int(math.Round(c.g*255)), int(math.Round(c.b*255)))
}

func parseTestColor(s string) (rgbColor, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "white":
		return rgbColor{1, 1, 1}, nil
	case "black":
		return rgbColor{}, nil
	}
	if strings.HasPrefix(s, "#") {
		h := s[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if len(h) != 6 {
			return rgbColor{}, fmt.Errorf("color %q: not #rgb or #rrggbb", s)
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return rgbColor{}, fmt.Errorf("color %q: %v", s, err)
		}
		return rgbColor{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}, nil
	}
	if strings.HasPrefix(s, "rgb(") && strings.HasSuffix(s, ")") {
		f := strings.FieldsFunc(s[4:len(s)-1], func(r rune) bool { return r == ',' || r == ' ' })
		if len(f) != 3 {
			return rgbColor{}, fmt.Errorf("color %q: want three channels (no alpha)", s)
		}
		var c [3]float64
		for i, x := range f {
			n, err := strconv.Atoi(x)
			if err != nil || n < 0 || n > 255 {
				return rgbColor{}, fmt.Errorf("color %q: channel %q", s, x)
			}
			c[i] = float64(n) / 255
		}
		return rgbColor{c[0], c[1], c[2]}, nil
	}
	return rgbColor{}, fmt.Errorf("color %q: cannot compute its contrast", s)
}

// luminance is WCAG 2's relative luminance.
func (c rgbColor) luminance() float64 {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

func (c rgbColor) contrast(d rgbColor) float64 {
	a, b := c.luminance(), d.luminance()
	return (math.Max(a, b) + 0.05) / (math.Min(a, b) + 0.05)
}

func TestContrastFormula(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"#000", "#fff", 21},
		{"#777777", "#ffffff", 4.48}, // the classic just-below-AA grey
		{"#4f46e5", "#151922", 2.8},  // the dark-mode link the issue reported
		{"#fff", "#fff", 1},
	} {
		a, _ := parseTestColor(c.a)
		b, _ := parseTestColor(c.b)
		if got := a.contrast(b); math.Abs(got-c.want) > 0.05 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
}
