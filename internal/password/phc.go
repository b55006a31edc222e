package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Limits on the parameters of a hash, checked both for a Hasher's own
// parameters and for every stored hash before it is run.
const (
	maxMemory  = 4 * 1024 * 1024 // KiB (4 GiB)
	maxTime    = 100
	minSaltLen = 8 // RFC 9106
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 1024
)

// phcPrefix is the only algorithm and version accepted: argon2id, version
// 0x13 (19), as written by libsodium and the argon2 reference CLI.
const phcPrefix = "$argon2id$v=19$"

// b64 is standard base64 without padding, rejecting non-zero trailing bits.
var b64 = base64.RawStdEncoding.Strict()

// encodePHC returns the PHC string for an argon2id key.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s",
		phcPrefix, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidHash}, args...)...)
}

// parsePHC parses an argon2id PHC string strictly: exactly the form that
// encodePHC writes, with decimal numbers without sign or leading zeros and
// canonical unpadded base64, and parameters within the limits above. The
// returned Params carry the salt and key lengths found.
func parsePHC(s string) (p Params, salt, key []byte, err error) {
	rest, ok := strings.CutPrefix(s, phcPrefix)
	if !ok {
		switch {
		case strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"):
			return p, nil, nil, invalid("unsupported algorithm (only argon2id)")
		case strings.HasPrefix(s, "$argon2id$"):
			return p, nil, nil, invalid("unsupported or missing version (only v=19)")
		}
		return p, nil, nil, invalid("not an argon2id PHC string")
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return p, nil, nil, invalid("want 5 $-separated fields")
	}
	m, t, threads, err := parseCost(fields[0])
	if err != nil {
		return p, nil, nil, err
	}
	salt, err = decodeB64(fields[1], "salt", minSaltLen, maxSaltLen)
	if err != nil {
		return p, nil, nil, err
	}
	key, err = decodeB64(fields[2], "hash", minKeyLen, maxKeyLen)
	if err != nil {
		return p, nil, nil, err
	}
	p = Params{Memory: m, Time: t, Threads: threads, SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := checkParams(p); err != nil {
		return Params{}, nil, nil, invalid("%v", err)
	}
	return p, salt, key, nil
}

// parseCost parses "m=<n>,t=<n>,p=<n>" in that order.
func parseCost(s string) (m, t uint32, p uint8, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, invalid("want parameters m=,t=,p=")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(parts[i], name)
		if !ok {
			return 0, 0, 0, invalid("want parameters m=,t=,p=")
		}
		if digits == "" || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
			return 0, 0, 0, invalid("bad number %q", parts[i])
		}
		for _, c := range []byte(digits) {
			if c < '0' || c > '9' {
				return 0, 0, 0, invalid("bad number %q", parts[i])
			}
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return 0, 0, 0, invalid("bad number %q", parts[i])
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return 0, 0, 0, invalid("p=%d out of range", vals[2])
	}
	return uint32(vals[0]), uint32(vals[1]), uint8(vals[2]), nil
}

// decodeB64 decodes canonical unpadded standard base64 of minLen..maxLen
// bytes. The alphabet is checked first because the decoder skips CR and LF.
func decodeB64(s, what string, minLen, maxLen int) ([]byte, error) {
	if len(s) < b64.EncodedLen(minLen) || len(s) > b64.EncodedLen(maxLen) {
		return nil, invalid("%s length out of range", what)
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, invalid("%s is not unpadded standard base64", what)
		}
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) < minLen || len(b) > maxLen {
		return nil, invalid("%s is not unpadded standard base64", what)
	}
	return b, nil
}

// checkParams reports whether p is within the limits for a stored hash.
func checkParams(p Params) error {
	switch {
	case p.Threads < 1:
		return fmt.Errorf("p=%d out of range", p.Threads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("m=%d out of range [8*p, %d]", p.Memory, maxMemory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("t=%d out of range [1, %d]", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d out of range [%d, %d]", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d out of range [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}
