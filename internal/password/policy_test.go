package password_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/embedauth/auth/internal/password"
)

// randomLetters returns n pseudo-random lower-case letters (fixed seed).
func randomLetters(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	const email = "alice.smith@example.com"
	ctx := []string{email, "Alice Smith", "Embedauth Notes"}
	emoji15 := "🦊🌵🎻🚲🍋🧭🐙🎈🌋🧩🦉🍉🛶🎲🪁"
	tests := []struct {
		name     string
		policy   password.Policy
		password string
		context  []string
		code     string // "" means accepted
		reason   string // substring of the Reason, if set
	}{
		// Length, in code points after NFKC.
		{"14 chars", password.Policy{}, "kq9zmv7wpxj3rt", nil, password.CodeTooShort, "Use at least 15 characters."},
		{"15 chars", password.Policy{}, "kq9zmv7wpxj3rtb", nil, "", ""},
		{"256 chars", password.Policy{}, randomLetters(256), nil, "", ""},
		{"1024 chars", password.Policy{}, randomLetters(1024), nil, "", ""},
		{"1025 chars", password.Policy{}, randomLetters(1025), nil, password.CodeTooLong, "Use at most 1024 characters."},
		{"15 emoji", password.Policy{}, emoji15, nil, "", ""},
		{"14 emoji (56 bytes)", password.Policy{}, emoji15[:len(emoji15)-len("🪁")], nil, password.CodeTooShort, "15"},
		{"14 chars in NFD (20 code points)", password.Policy{}, norm.NFD.String("åäöÅÄÖxkq9zmv7"), nil, password.CodeTooShort, "15"},
		{"15 chars with spaces", password.Policy{}, "tea  at  noon!!", nil, "", ""},
		{"all lower-case passphrase", password.Policy{}, "purple monkey dishwasher", nil, "", ""},
		{"no composition rules", password.Policy{}, "mybicycleisfastandred", nil, "", ""},
		{"Cyrillic", password.Policy{}, "ветер и туман над рекой", nil, "", ""},
		{"min 4 raised to 8: 7 chars", password.Policy{MinLength: 4}, "kq9zmv7", nil, password.CodeTooShort, "Use at least 8 characters."},
		{"min 4 raised to 8: 8 chars", password.Policy{MinLength: 4}, "kq9zmv7w", nil, "", ""},
		{"min 20", password.Policy{MinLength: 20}, "kq9zmv7wpxj3rtbyuf", nil, password.CodeTooShort, "20"},
		{"max 64", password.Policy{MaxLength: 64}, randomLetters(65), nil, password.CodeTooLong, "Use at most 64 characters."},
		{"max below min raised", password.Policy{MinLength: 16, MaxLength: 10}, "kq9zmv7wpxj3rtbq", nil, "", ""},

		// Context words.
		{"email", password.Policy{}, email, ctx, password.CodePersonalInfo, "name"},
		{"email upper-case", password.Policy{}, "Alice.Smith@Example.com", ctx, password.CodePersonalInfo, ""},
		{"email local part with digits", password.Policy{}, "alice.smith2024!", ctx, password.CodePersonalInfo, ""},
		{"name without space", password.Policy{}, "AliceSmith123456", ctx, password.CodePersonalInfo, ""},
		{"name repeated", password.Policy{}, "alicealicealice", ctx, password.CodePersonalInfo, ""},
		{"app name", password.Policy{}, "Embedauth Notes 2025", ctx, password.CodePersonalInfo, ""},
		{"fullwidth email", password.Policy{}, "ａｌｉｃｅ.ｓｍｉｔｈ@ｅｘａｍｐｌｅ.ｃｏｍ", ctx, password.CodePersonalInfo, ""},
		{"context word among other words", password.Policy{}, "alice likes green tea at noon", ctx, "", ""},
		{"email of another user", password.Policy{}, "bob.jones@example.com", ctx, "", ""},
		{"empty context words ignored", password.Policy{}, "kq9zmv7wpxj3rtb", []string{"", "  "}, "", ""},
		{"length before context", password.Policy{}, "alice.smith", ctx, password.CodeTooShort, ""},

		// Blocklist.
		{"blocklisted long", password.Policy{}, "passwordpassword", nil, password.CodeCommon, "That password is too common; it appears in lists of breached passwords. Choose another."},
		{"blocklisted, case", password.Policy{}, "PassWordPassWord", nil, password.CodeCommon, ""},
		{"blocklisted phrase", password.Policy{}, "correcthorsebatterystaple", nil, password.CodeCommon, ""},
		{"blocklisted, min 8", password.Policy{MinLength: 8}, "password", nil, password.CodeCommon, ""},
		{"blocklisted, min 8, from breach list", password.Policy{MinLength: 8}, "trustno1", nil, password.CodeCommon, ""},
		{"blocklisted word + digits", password.Policy{}, "password12345678!", nil, password.CodeCommon, ""},
		{"blocklisted word + symbols", password.Policy{}, "baseball!!!!!!!!", nil, password.CodeCommon, ""},
		{"digits + blocklisted word + digits", password.Policy{}, "2024sunshine2024", nil, password.CodeCommon, ""},
		{"fullwidth blocklisted", password.Policy{}, "ｑｗｅｒｔｙｕｉｏｐａｓｄｆｇｈ", nil, password.CodeCommon, ""},
		{"blocklisted word inside a phrase", password.Policy{}, "my dragon sleeps on gold coins", nil, "", ""},
		{"context before blocklist", password.Policy{}, "passwordpassword", []string{"passwordpassword"}, password.CodePersonalInfo, ""},

		// Repetitive or sequential.
		{"one char", password.Policy{}, "aaaaaaaaaaaaaaaaaaaa", nil, password.CodeTooSimple, ""},
		{"three distinct", password.Policy{}, "abcabcabcabcabcab", nil, password.CodeTooSimple, ""},
		{"two distinct, case-insensitive", password.Policy{}, "aAaAaAaAbBbBbBbB", nil, password.CodeTooSimple, ""},
		{"alphabet", password.Policy{}, "bcdefghijklmnopqr", nil, password.CodeTooSimple, ""},
		{"alphabet backwards", password.Policy{}, "zyxwvutsrqponmlkj", nil, password.CodeTooSimple, ""},
		{"alphabet wrapping", password.Policy{}, "uvwxyzabcdefghijk", nil, password.CodeTooSimple, ""},
		{"digits wrapping", password.Policy{}, "2345678901234567", nil, password.CodeTooSimple, ""},
		{"digits backwards", password.Policy{}, "8765432109876543", nil, password.CodeTooSimple, ""},
		{"keyboard row", password.Policy{}, "wertyuiopasdfghj", nil, password.CodeTooSimple, ""},
		{"keyboard row backwards", password.Policy{}, "mnbvcxzlkjhgfdsa", nil, password.CodeTooSimple, ""},
		{"keyboard columns", password.Policy{}, "2wsx3edc4rfv5tgb", nil, password.CodeTooSimple, ""},
		{"Greek sequence", password.Policy{}, "αβγδεζηθικλμνξο", nil, password.CodeTooSimple, ""},
		{"sequence + digits", password.Policy{}, "bcdefghijk123456", nil, password.CodeTooSimple, ""},
		{"blocklisted unit repeated", password.Policy{}, "shadowshadowshadow", nil, password.CodeTooSimple, ""},
		{"blocklisted unit repeated, partial tail", password.Policy{}, "shadowshadowsha", nil, password.CodeTooSimple, ""},
		{"sequence unit repeated", password.Policy{}, "abcdeabcdeabcde", nil, password.CodeTooSimple, ""},
		{"random unit repeated", password.Policy{}, "kq9zmv7wkq9zmv7w", nil, "", ""},
		{"emoji repeated", password.Policy{}, strings.Repeat("🦊🌵", 8), nil, password.CodeTooSimple, ""},
		{"emoji sequence", password.Policy{}, "😀😁😂😃😄😅😆😇😈😉😊😋😌😍😎", nil, password.CodeTooSimple, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Check(tt.password, tt.context...)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var pe *password.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q) = %v, want *PolicyError %s", tt.password, err, tt.code)
			}
			if pe.Code != tt.code {
				t.Fatalf("Check(%q) code = %s (%s), want %s", tt.password, pe.Code, pe.Reason, tt.code)
			}
			if !strings.Contains(pe.Reason, tt.reason) || pe.Error() != pe.Reason {
				t.Errorf("Reason = %q, Error() = %q; want Reason containing %q", pe.Reason, pe.Error(), tt.reason)
			}
		})
	}
}

func TestPolicyLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p        password.Policy
		min, max int
	}{
		{password.Policy{}, 15, 1024},
		{password.Policy{MinLength: 1}, 8, 1024},
		{password.Policy{MinLength: -5, MaxLength: -1}, 8, 1024},
		{password.Policy{MinLength: 12, MaxLength: 64}, 12, 64},
		{password.Policy{MinLength: 100, MaxLength: 64}, 100, 100},
	}
	for _, tt := range tests {
		if lo, hi := tt.p.Limits(); lo != tt.min || hi != tt.max {
			t.Errorf("%+v.Limits() = %d, %d; want %d, %d", tt.p, lo, hi, tt.min, tt.max)
		}
	}
}

func TestBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"ｐａｓｓｗｏｒｄ", true}, // fullwidth, NFKC folds it
		{"123456", true},
		{"xpcrew", true}, // last entry of the zxcvbn list
		{"michael", true},
		{"passwordpassword", true},
		{"1234567890123456", true},
		{"iloveyouiloveyou", true},
		{"correcthorsebatterystaple", true},
		{"qwertyuiopasdfgh", true},
		{"password12345678!", false}, // Blocked is whole-list only; Check catches it
		{"kq9zmv7wpxj3rtb", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := password.Blocked(tt.pw); got != tt.want {
			t.Errorf("Blocked(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"", "passwordpassword", "alice@example.com", "🦊🌵🎻🚲🍋🧭🐙🎈🌋🧩🦉🍉🛶🎲🪁", "\xff\xfe", "abcabcabcabcabcab"} {
		f.Add(s, "alice@example.com")
	}
	codes := map[string]bool{
		password.CodeTooShort: true, password.CodeTooLong: true, password.CodePersonalInfo: true,
		password.CodeCommon: true, password.CodeTooSimple: true,
	}
	f.Fuzz(func(t *testing.T, pw, ctx string) {
		err := password.Policy{MinLength: 8}.Check(pw, ctx)
		if err == nil {
			if n := utf8.RuneCountInString(password.Normalize(pw)); n < 8 || n > 1024 {
				t.Fatalf("accepted %q of %d characters", pw, n)
			}
			return
		}
		var pe *password.PolicyError
		if !errors.As(err, &pe) || !codes[pe.Code] || pe.Reason == "" {
			t.Fatalf("Check(%q) = %#v", pw, err)
		}
	})
}
