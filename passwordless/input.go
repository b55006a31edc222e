package passwordless

import (
	"strings"
)

// NormalizePhone returns a phone number in E.164 form ("+14155550123").
// It accepts the number in international form with the usual separators
// ("+1 (415) 555-0123", "+44 20 7946 0958", "0044 20 7946 0958"); it does
// not guess a country, so a number without its country code is
// [ErrMalformedPhone]. E.164 allows at most 15 digits and no leading zero
// in the country code; fewer than 8 digits is no real number either.
func NormalizePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) > 40 {
		return "", ErrMalformedPhone
	}
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	default:
		return "", ErrMalformedPhone
	}
	var b strings.Builder
	b.WriteByte('+')
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if digits == 0 && r == '0' {
				return "", ErrMalformedPhone
			}
			b.WriteRune(r)
			digits++
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
			if i == 0 && r != '(' {
				return "", ErrMalformedPhone
			}
		default:
			return "", ErrMalformedPhone
		}
	}
	if digits < 8 || digits > 15 {
		return "", ErrMalformedPhone
	}
	return b.String(), nil
}

// MaskPhone shows enough of an E.164 number to recognise it: the first
// two and the last four characters ("+14155550123" is "+1*****0123").
func MaskPhone(e164 string) string {
	if len(e164) < 8 {
		return "***"
	}
	return e164[:2] + strings.Repeat("*", len(e164)-6) + e164[len(e164)-4:]
}
