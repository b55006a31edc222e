package token_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/embedauth/auth/token"
)

// A separate Go service accepts embedauth's session tokens: it fetches
// the JWKS once, caches it, and verifies each request's bearer token
// locally.
func ExampleVerify() {
	keys := token.NewRemoteKeySet("https://example.com/auth/.well-known/jwks.json", nil)
	opts := token.VerifyOptions{Keys: keys, Issuer: "https://example.com/auth"}

	http.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims, err := token.Verify(r.Context(), raw, opts)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "orders of %s (session %s)", claims.Subject, claims.SessionID)
	})
}

// A template for Hasura: its claims mix shortcodes, resolved for each
// user, and fixed values.
func ExampleCompile() {
	tpl, err := token.Compile(token.Template{
		Name:     "hasura",
		Audience: []string{"hasura"},
		Claims: map[string]any{
			"https://hasura.io/jwt/claims": map[string]any{
				"x-hasura-user-id":       "{{user.id}}",
				"x-hasura-default-role":  "user",
				"x-hasura-allowed-roles": []string{"user"},
				"x-hasura-org-id":        "{{org.id}}",
			},
		},
	})
	fmt.Println(tpl.Name(), tpl.Lifetime(), err)

	// A template that refers to a claim that does not exist is refused.
	_, err = token.Compile(token.Template{Name: "bad", Claims: map[string]any{"phone": "{{user.phone}}"}})
	fmt.Println(err != nil)
	// Output:
	// hasura 1m0s <nil>
	// true
}

// A template's Go function adds claims a shortcode cannot express.
func ExampleTemplate_func() {
	tpl, _ := token.Compile(token.Template{
		Name:   "supabase",
		Claims: map[string]any{"email": "{{user.email}}"},
		Func: func(ctx context.Context, in token.Input) (map[string]any, error) {
			role := "authenticated"
			if in.Org != nil && in.Org.Role == "org:admin" {
				role = "service_admin"
			}
			return map[string]any{"role": role}, nil
		},
	})
	claims, _ := tpl.Claims(context.Background(), token.Input{Org: &token.Org{Role: "org:admin"}})
	fmt.Println(claims["role"])
	// Output: service_admin
}
