package password

// Exports for package password_test.

// SetTestHook makes h call f while it holds a slot, just before each argon2
// computation. Call it before h is used.
func SetTestHook(h *Hasher, f func()) { h.testHook = f }

// ParsePHC exposes the strict PHC parser.
func ParsePHC(s string) (p Params, salt, key []byte, err error) { return parsePHC(s) }

// EncodePHC exposes the PHC encoder.
func EncodePHC(p Params, salt, key []byte) string { return encodePHC(p, salt, key) }
