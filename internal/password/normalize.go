package password

import "golang.org/x/text/unicode/norm"

// Normalize returns s in Unicode normalisation form NFKC, the form in which
// passwords are hashed and measured. It never truncates.
func Normalize(s string) string {
	return norm.NFKC.String(s)
}
