package ui

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// defaultPrimaryColor is the primary color of a Theme that names none.
const defaultPrimaryColor = "#4f46e5"

// WCAG 2 AA contrast ratios: text, and focus indicators (non-text).
const (
	minTextContrast  = 4.5
	minFocusContrast = 3
)

// rgb is an sRGB color, each channel 0 to 255.
type rgb struct{ r, g, b float64 }

var (
	white = rgb{255, 255, 255}
	black = rgb{0, 0, 0}
	// darkText is the pages' text color (style.css --ea-text), the first
	// choice for text on a light primary color.
	darkText = rgb{0x11, 0x18, 0x27}
)

// The surfaces of style.css's two palettes that links and focus rings sit
// on: card, page background, info and error alerts. They mirror the
// stylesheet; the contrast test reads the stylesheet itself and fails when
// the two drift apart enough to matter.
var (
	lightSurfaces = []rgb{{0xff, 0xff, 0xff}, {0xf6, 0xf7, 0xf9}, {0xef, 0xf6, 0xff}, {0xfe, 0xf2, 0xf2}}
	darkSurfaces  = []rgb{{0x15, 0x19, 0x22}, {0x0b, 0x0d, 0x12}, {0x11, 0x1a, 0x2e}, {0x2a, 0x12, 0x14}}
)

var (
	hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	rgbColor = regexp.MustCompile(`^rgb\(\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*\)$`)
)

var errColorSyntax = errors.New("want #rgb, #rrggbb or rgb(r, g, b)")

// parseColor reads the color forms whose contrast can be computed: hex
// and rgb() without transparency.
func parseColor(s string) (rgb, error) {
	s = strings.TrimSpace(s)
	if m := hexColor.FindStringSubmatch(s); m != nil {
		h := m[1]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		v, _ := strconv.ParseUint(h, 16, 32)
		return rgb{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}, nil
	}
	if m := rgbColor.FindStringSubmatch(strings.ToLower(s)); m != nil {
		var c [3]float64
		for i := range c {
			v, _ := strconv.Atoi(m[i+1])
			if v > 255 {
				return rgb{}, fmt.Errorf("%q: channel %d above 255: %w", s, v, errColorSyntax)
			}
			c[i] = float64(v)
		}
		return rgb{c[0], c[1], c[2]}, nil
	}
	return rgb{}, fmt.Errorf("%q: %w", s, errColorSyntax)
}

// hex writes c as #rrggbb.
func (c rgb) hex() string {
	ch := func(v float64) int { return int(math.Round(math.Max(0, math.Min(255, v)))) }
	return fmt.Sprintf("#%02x%02x%02x", ch(c.r), ch(c.g), ch(c.b))
}

// luminance is the WCAG 2 relative luminance of c.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is the WCAG 2 contrast ratio of a and b, from 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix moves c a fraction t of the way to d.
func (c rgb) mix(d rgb, t float64) rgb {
	return rgb{c.r + (d.r-c.r)*t, c.g + (d.g-c.g)*t, c.b + (d.b-c.b)*t}
}

// readableOn returns c, or the nearest shade of it toward end (white or
// black), that has at least min contrast against every surface. The shade
// is measured as written (rounded to #rrggbb), so the CSS holds what was
// checked.
func readableOn(c, end rgb, surfaces []rgb, min float64) rgb {
	for step := 0; step <= 100; step++ {
		shade, _ := parseColor(c.mix(end, float64(step)/100).hex())
		ok := true
		for _, s := range surfaces {
			if contrast(shade, s) < min {
				ok = false
				break
			}
		}
		if ok {
			return shade
		}
	}
	return end
}

// palette is what the theme derives from its primary color.
type palette struct {
	primary   rgb // buttons and avatars, as configured
	onPrimary rgb // text on the primary color
	linkLight rgb // links and focus rings on the light palette
	linkDark  rgb // and on the dark one
}

// newPalette derives colors from the primary color that meet WCAG AA
// wherever the stylesheet uses them, so an app's brand color cannot make
// links, focus rings or button labels unreadable in either color scheme.
func newPalette(primary string) (palette, error) {
	if strings.TrimSpace(primary) == "" {
		primary = defaultPrimaryColor
	}
	p, err := parseColor(primary)
	if err != nil {
		return palette{}, fmt.Errorf("primary color %w", err)
	}
	on := white
	if contrast(white, p) < minTextContrast {
		// Dark text when it reads; black otherwise (one of white and black
		// always reaches 4.5:1).
		on = darkText
		if contrast(darkText, p) < minTextContrast {
			on = black
		}
	}
	// Links are text; text's 4.5:1 also covers the focus rings' 3:1.
	return palette{
		primary:   p,
		onPrimary: on,
		linkLight: readableOn(p, black, lightSurfaces, minTextContrast),
		linkDark:  readableOn(p, white, darkSurfaces, minTextContrast),
	}, nil
}
