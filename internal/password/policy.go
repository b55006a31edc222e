package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Codes of a PolicyError, stable for JSON APIs.
const (
	CodeTooShort     = "password_too_short"
	CodeTooLong      = "password_too_long"
	CodePersonalInfo = "password_contains_personal_info"
	CodeCommon       = "password_common"
	CodeTooSimple    = "password_too_simple"
)

// Default and lowest lengths of a Policy, in code points after NFKC.
const (
	DefaultMinLength = 15   // NIST SP 800-63B-4 minimum for a password used alone
	LowestMinLength  = 8    // NIST SP 800-63B-4 minimum for a password used with a second factor
	DefaultMaxLength = 1024 // NIST asks that at least 64 be allowed
)

// Policy is the NIST SP 800-63B-4 rule set for a password a user chooses.
// Lengths are counted in Unicode code points after NFKC normalisation.
// The zero Policy is the recommended one.
type Policy struct {
	// MinLength is the fewest characters allowed. Zero means 15; a value
	// below 8 is raised to 8.
	MinLength int
	// MaxLength is the most characters allowed. Zero (or less) means 1024;
	// a value below the minimum is raised to the minimum.
	MaxLength int
}

// Limits returns the minimum and maximum lengths p enforces, after
// defaults and floors are applied.
func (p Policy) Limits() (minLen, maxLen int) {
	minLen = p.MinLength
	if minLen == 0 {
		minLen = DefaultMinLength
	}
	minLen = max(minLen, LowestMinLength)
	maxLen = p.MaxLength
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	maxLen = max(maxLen, minLen)
	return minLen, maxLen
}

// PolicyError is the reason Policy.Check rejected a password: Code is
// stable for APIs (one of the Code constants), Reason is a sentence a user
// can read.
type PolicyError struct {
	Code   string
	Reason string
}

// Error returns the Reason.
func (e *PolicyError) Error() string { return e.Reason }

// Check returns nil if password is acceptable, or a *PolicyError for the
// first rule it breaks, in this order: too short, too long, merely a
// context word, common or breached, too repetitive or sequential.
//
// context holds words specific to the user and the service that the
// password must not merely be (compared case-insensitively after NFKC):
// the user's email address, their name, the service's name. For an email
// address its local part is checked too, and for every word its parts
// (split at spaces and punctuation) of 3 or more characters; a password is
// "merely" a word if, ignoring case, spaces, punctuation, and digits at
// either end, it is that word or that word repeated. Containing a context
// word among other text is allowed.
//
// No composition rules are applied: any Unicode character counts, and a
// long password of only lower-case letters, or only emoji, is fine.
func (p Policy) Check(password string, context ...string) error {
	minLen, maxLen := p.Limits()
	pw := Normalize(password)
	n := utf8.RuneCountInString(pw)
	if n < minLen {
		return &PolicyError{Code: CodeTooShort, Reason: fmt.Sprintf("Use at least %d characters.", minLen)}
	}
	if n > maxLen {
		return &PolicyError{Code: CodeTooLong, Reason: fmt.Sprintf("Use at most %d characters.", maxLen)}
	}
	pw = strings.ToLower(pw)
	if isContextWord(pw, context) {
		return &PolicyError{Code: CodePersonalInfo, Reason: "Don't use your name, your email address or the name of this service as your password. Choose another."}
	}
	if isCommon(pw) {
		return &PolicyError{Code: CodeCommon, Reason: "That password is too common; it appears in lists of breached passwords. Choose another."}
	}
	if isTooSimple(pw) {
		return &PolicyError{Code: CodeTooSimple, Reason: `That password is too easy to guess: it repeats characters or words, or follows a sequence such as "abcd", "1234" or "qwerty". Choose another.`}
	}
	return nil
}

// minCoreLen is the shortest blocklisted word that is still rejected with
// digits or punctuation around it ("password12345678!").
const minCoreLen = 8

// minContextLen is the shortest part of a context word that is checked.
const minContextLen = 3

// isJunk reports whether r is the kind of character people pad a weak
// password with: digits, punctuation, symbols and spaces.
func isJunk(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// isWordRune reports whether r is a letter, a combining mark or a digit.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// words keeps only the letters, marks and digits of s.
func words(s string) string {
	return strings.Map(func(r rune) rune {
		if isWordRune(r) {
			return r
		}
		return -1
	}, s)
}

// cores returns pw with padding stripped: from the end, and from both ends,
// keeping only results that differ from pw and have at least minCoreLen
// characters.
func cores(pw string) []string {
	var out []string
	for _, c := range []string{strings.TrimRightFunc(pw, isJunk), strings.TrimFunc(pw, isJunk)} {
		if c != pw && utf8.RuneCountInString(c) >= minCoreLen && (len(out) == 0 || out[0] != c) {
			out = append(out, c)
		}
	}
	return out
}

// isCommon reports whether the folded pw is blocklisted, or is a
// blocklisted word of at least minCoreLen characters padded with digits,
// punctuation or symbols.
func isCommon(pw string) bool {
	if listed(pw) {
		return true
	}
	for _, c := range cores(pw) {
		if listed(c) {
			return true
		}
	}
	return false
}

// isContextWord reports whether the folded pw is merely one of the context
// words (see Policy.Check).
func isContextWord(pw string, context []string) bool {
	keys := make(map[string]bool)
	add := func(k string) {
		if utf8.RuneCountInString(k) >= minContextLen {
			keys[k] = true
		}
	}
	addWord := func(s string) {
		w := words(s)
		add(w)
		add(strings.TrimFunc(w, unicode.IsDigit))
	}
	for _, c := range context {
		c = fold(c)
		if strings.TrimSpace(c) == "" {
			continue
		}
		keys[c] = true
		addWord(c)
		part := c
		if i := strings.LastIndexByte(c, '@'); i > 0 {
			part = c[:i]
			addWord(part)
		}
		for tok := range strings.FieldsFuncSeq(part, func(r rune) bool { return !isWordRune(r) }) {
			addWord(tok)
		}
	}
	if len(keys) == 0 {
		return false
	}
	w := words(pw)
	cands := []string{pw, w, strings.TrimFunc(w, unicode.IsDigit)}
	for _, c := range cands[1:] {
		if u, ok := repeatUnit([]rune(c)); ok {
			cands = append(cands, string(u))
		}
	}
	for _, c := range cands {
		if c != "" && keys[c] {
			return true
		}
	}
	return false
}

// isTooSimple reports whether the folded pw, or pw with its padding
// stripped, has fewer than 4 distinct characters, is a sequence, or is a
// short or common unit repeated.
func isTooSimple(pw string) bool {
	if simpleRunes([]rune(pw)) {
		return true
	}
	for _, c := range cores(pw) {
		if simpleRunes([]rune(c)) {
			return true
		}
	}
	return false
}

func simpleRunes(rs []rune) bool {
	if distinct(rs) < 4 || isSequence(rs) {
		return true
	}
	u, ok := repeatUnit(rs)
	if !ok {
		return false
	}
	if len(u) < 4 || isSequence(u) {
		return true
	}
	us := string(u)
	if listed(us) {
		return true
	}
	core := strings.TrimFunc(us, isJunk)
	return utf8.RuneCountInString(core) >= 4 && listed(core)
}

// distinct counts the distinct runes of rs, stopping at 4.
func distinct(rs []rune) int {
	var seen []rune
	for _, r := range rs {
		found := false
		for _, s := range seen {
			if s == r {
				found = true
				break
			}
		}
		if !found {
			seen = append(seen, r)
			if len(seen) == 4 {
				break
			}
		}
	}
	return len(seen)
}

// repeatUnit returns the shortest u such that rs is u repeated at least
// twice, possibly followed by a prefix of u ("dragondragondrag").
func repeatUnit(rs []rune) ([]rune, bool) {
	n := len(rs)
	if n < 2 {
		return nil, false
	}
	// Knuth-Morris-Pratt failure function: fail[i] is the length of the
	// longest proper border of rs[:i+1]; the shortest period is n-fail[n-1].
	fail := make([]int, n)
	for i, k := 1, 0; i < n; i++ {
		for k > 0 && rs[i] != rs[k] {
			k = fail[k-1]
		}
		if rs[i] == rs[k] {
			k++
		}
		fail[i] = k
	}
	period := n - fail[n-1]
	if period > n/2 {
		return nil, false
	}
	return rs[:period], true
}

// sequenceRings are cyclic orders people walk along: the alphabet, the
// digits (9 wraps to 0, as on the keyboard row 1234567890), the QWERTY rows
// and the QWERTY columns.
var sequenceRings = func() []map[rune]int {
	var rings []map[rune]int
	for _, s := range []string{
		"abcdefghijklmnopqrstuvwxyz",
		"0123456789",
		"qwertyuiopasdfghjklzxcvbnm",
		"qazwsxedcrfvtgbyhnujmikolp",
		"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
	} {
		m := make(map[rune]int, len(s))
		for i, r := range []rune(s) {
			m[r] = i
		}
		rings = append(rings, m)
	}
	return rings
}()

// isSequence reports whether rs, of 3 or more runes, steps by one in a
// single direction all the way: through consecutive code points
// ("abcdef", "αβγδ"), or around one of sequenceRings ("7890123",
// "qwertyuiopasdf", "zyxwvu").
func isSequence(rs []rune) bool {
	if len(rs) < 3 {
		return false
	}
	if d := rs[1] - rs[0]; d == 1 || d == -1 {
		ok := true
		for i := 2; i < len(rs) && ok; i++ {
			ok = rs[i]-rs[i-1] == d
		}
		if ok {
			return true
		}
	}
	for _, ring := range sequenceRings {
		n := len(ring)
		step := -1
		ok := true
		for i := 1; i < len(rs) && ok; i++ {
			a, okA := ring[rs[i-1]]
			b, okB := ring[rs[i]]
			if !okA || !okB {
				ok = false
				break
			}
			d := (b - a + n) % n
			if step == -1 {
				step = d
			}
			ok = d == step && (d == 1 || d == n-1)
		}
		if ok {
			return true
		}
	}
	return false
}
