package password

import (
	_ "embed"
	"strings"
	"sync"
)

// blocklistText holds one common or breached password a line, lower-case.
// See blocklist_NOTICE.txt for where it comes from.
//
//go:embed blocklist.txt
var blocklistText string

// blocklist is the set of blocklisted passwords, NFKC-normalised and
// lower-cased, built on first use.
var blocklist = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(blocklistText, "\n")+1)
	for line := range strings.SplitSeq(blocklistText, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		set[fold(line)] = struct{}{}
	}
	return set
})

// Blocked reports whether password, NFKC-normalised and lower-cased, is
// on the embedded list of common and breached passwords. It matches the
// whole password only; Policy.Check also rejects a listed word with digits
// or punctuation around it.
func Blocked(password string) bool {
	return listed(fold(password))
}

// listed reports whether the already folded s is on the blocklist.
func listed(s string) bool {
	_, ok := blocklist()[s]
	return ok
}

// fold returns s normalised to NFKC and lower-cased.
func fold(s string) string {
	return strings.ToLower(Normalize(s))
}
