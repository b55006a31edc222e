package onetime_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/embedauth/auth/internal/onetime"
)

func TestNewCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range []int{6, 8} {
		re := regexp.MustCompile(`^\d{` + string(rune('0'+n)) + `}$`)
		for range 200 {
			c := onetime.NewCode(n)
			if !re.MatchString(c) {
				t.Fatalf("NewCode(%d) = %q", n, c)
			}
			seen[c] = true
		}
	}
	if len(seen) < 390 { // 400 draws from 10^6 and 10^8 values
		t.Errorf("only %d distinct codes in 400", len(seen))
	}
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	a, b := onetime.NewToken(), onetime.NewToken()
	if a == b || !onetime.ValidToken(a) || !onetime.ValidToken(b) {
		t.Fatalf("tokens %q %q", a, b)
	}
	for _, bad := range []string{"", "short", a[:42], a + "x", a[:42] + "*", a[:42] + "="} {
		if onetime.ValidToken(bad) {
			t.Errorf("ValidToken(%q) = true", bad)
		}
	}
}

func TestCleanCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"123456": "123456", " 123456\n": "123456", "12345": "", "1234567": "", "12 345": "",
		"12-456": "", "abcdef": "", "12345a": "", "١٢٣٤٥٦": "", "": ""} {
		got, err := onetime.CleanCode(in, 6)
		if got != want || (want == "") != errors.Is(err, onetime.ErrMalformedCode) {
			t.Errorf("CleanCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := onetime.CleanCode("12345678", 8); got != "12345678" || err != nil {
		t.Errorf("8 digits: %q %v", got, err)
	}
}
