package token_test

import (
	"context"
	"testing"

	"github.com/embedauth/auth/token"
)

// BenchmarkVerify is the cost of a token the middleware has not seen
// before (a new token every minute per client): the full check, signature
// included, per algorithm.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{token.ES256, token.RS256, token.EdDSA} {
		b.Run(alg, func(b *testing.B) {
			c := newClock()
			k := mustKeys(b, &memStore{}, newBox(b), c, alg)
			tok := sessionToken(b, k, c)
			opts := token.VerifyOptions{Keys: k, Issuer: issuer, Now: c.Now}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := token.Verify(ctx, tok, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignSession is the cost of GET /auth/api/token's signature.
func BenchmarkSignSession(b *testing.B) {
	for _, alg := range []string{token.ES256, token.RS256, token.EdDSA} {
		b.Run(alg, func(b *testing.B) {
			c := newClock()
			k := mustKeys(b, &memStore{}, newBox(b), c, alg)
			b.ReportAllocs()
			for b.Loop() {
				sessionToken(b, k, c)
			}
		})
	}
}
