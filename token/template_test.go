package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/token"
)

func TestCompile_ReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		t    token.Template
		want []string
	}{
		{"unknown shortcode", token.Template{Name: "x", Claims: map[string]any{"phone": "{{user.phone}}"}},
			[]string{`claim "phone"`, "unknown shortcode {{user.phone}}", "user.email"}},
		{"unknown shortcode nested", token.Template{Name: "x", Claims: map[string]any{"hasura": map[string]any{"roles": []any{"{{org.rolez}}"}}}},
			[]string{`claim "hasura.roles[0]"`, "{{org.rolez}}"}},
		{"private metadata is not a claim source", token.Template{Name: "x", Claims: map[string]any{"p": "{{user.private_metadata}}"}},
			[]string{"{{user.private_metadata}}"}},
		{"empty metadata path", token.Template{Name: "x", Claims: map[string]any{"p": "{{user.public_metadata..a}}"}},
			[]string{"unknown shortcode"}},
		{"unbalanced", token.Template{Name: "x", Claims: map[string]any{"a": "{{user.id", "b": "user.id}}"}},
			[]string{`without "}}"`, `without "{{"`}},
		{"registered claims", token.Template{Name: "x", Claims: map[string]any{"sub": "me", "exp": 1, "sid": "s"}},
			[]string{`claim "sub" is a registered claim`, `claim "exp"`, `claim "sid"`}},
		{"bad name", token.Template{Name: "no spaces please"}, []string{"the name must be"}},
		{"lifetime", token.Template{Name: "x", Lifetime: 48 * time.Hour}, []string{"lifetime 48h0m0s"}},
		{"secret without HS256", token.Template{Name: "x", Secret: make([]byte, 32)}, []string{"a secret needs algorithm HS256"}},
		{"short HS256 secret", token.Template{Name: "x", Algorithm: token.HS256, Secret: []byte("short")}, []string{"at least 32 bytes"}},
		{"other algorithm", token.Template{Name: "x", Algorithm: "RS256"}, []string{`algorithm "RS256"`}},
		{"all at once", token.Template{Name: "bad name", Lifetime: -time.Second, Claims: map[string]any{"iss": "x", "y": "{{nope}}"}},
			[]string{"the name must be", "lifetime", `"iss"`, "{{nope}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := token.Compile(tt.t)
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestTemplate_Claims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tpl, err := token.Compile(token.Template{Name: "hasura", Claims: map[string]any{
		"email":    "{{user.email}}",
		"verified": "{{user.email_verified}}",
		"plan":     "{{ user.public_metadata.plan.tier }}",
		"missing":  "{{user.public_metadata.nope}}",
		"org":      "{{org.slug}}",
		"label":    "{{user.name}} <{{user.email}}> #{{user.public_metadata.plan}}",
		"role":     "authenticated",
		"hasura":   map[string]any{"x-hasura-user-id": "{{user.id}}", "x-hasura-allowed-roles": []string{"user", "{{session.auth_method}}"}},
		"n":        42,
	}, Func: func(ctx context.Context, in token.Input) (map[string]any, error) {
		if in.User.EmailVerified {
			return map[string]any{"role": "verified"}, nil
		}
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	in := token.Input{
		User:    core.User{ID: "user_1", Email: "ann@example.com", Name: "Ann", EmailVerified: true, PublicMetadata: json.RawMessage(`{"plan":{"tier":"pro"}}`)},
		Session: core.Session{ID: "sess_1", AuthMethod: "password"},
	}
	got, err := tpl.Claims(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"email":"ann@example.com","hasura":{"x-hasura-allowed-roles":["user","password"],"x-hasura-user-id":"user_1"},` +
		`"label":"Ann \u003cann@example.com\u003e #{\"tier\":\"pro\"}","missing":null,"n":42,"org":null,"plan":"pro","role":"verified","verified":true}`
	if string(b) != want {
		t.Fatalf("claims\n got %s\nwant %s", b, want)
	}
	in.Org = &token.Org{ID: "org_1", Slug: "acme", Role: "org:admin"}
	got, _ = tpl.Claims(ctx, in)
	if got["org"] != "acme" {
		t.Fatalf("org claim = %v", got["org"])
	}

	bad, _ := token.Compile(token.Template{Name: "bad", Func: func(context.Context, token.Input) (map[string]any, error) {
		return map[string]any{"sub": "someone-else"}, nil
	}})
	if _, err := bad.Claims(ctx, in); err == nil || !strings.Contains(err.Error(), `registered claim "sub"`) {
		t.Fatalf("a Func setting sub: %v", err)
	}
}

func TestTemplate_Sign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	k := mustKeys(t, &memStore{}, newBox(t), c, token.ES256)
	in := token.Input{User: core.User{ID: "user_1", Email: "a@example.com"}, Session: core.Session{ID: "sess_1"}}

	t.Run("SigningKey", func(t *testing.T) {
		t.Parallel()
		tpl, err := token.Compile(token.Template{Name: "convex", Audience: []string{"convex"}, Lifetime: 5 * time.Minute,
			Claims: map[string]any{"email": "{{user.email}}"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, exp, err := tpl.Sign(ctx, k, in, issuer, "https://example.com", c.Now())
		if err != nil || !exp.Equal(c.Now().Add(5*time.Minute)) {
			t.Fatalf("Sign = %v, %v", exp, err)
		}
		claims, err := token.Verify(ctx, tok, token.VerifyOptions{Keys: k, Issuer: issuer, Audience: "convex", Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		json.Unmarshal(claims.Raw, &raw)
		if claims.Subject != "user_1" || claims.SessionID != "" || claims.ID == "" || raw["email"] != "a@example.com" || raw["azp"] != "https://example.com" {
			t.Fatalf("claims = %+v, raw %v", claims, raw)
		}
		// Without the audience, the template's token is refused: it is
		// not a token for us.
		if _, err := token.Verify(ctx, tok, token.VerifyOptions{Keys: k, Issuer: issuer, Now: c.Now}); !errors.Is(err, token.ErrAudience) {
			t.Fatalf("template token without the audience: %v", err)
		}
	})

	t.Run("HS256", func(t *testing.T) {
		t.Parallel()
		secret := token.NewSecret()
		tpl, err := token.Compile(token.Template{Name: "supabase", Algorithm: token.HS256, Secret: secret, Issuer: "supabase",
			Audience: []string{"authenticated"}, Claims: map[string]any{"role": "authenticated"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := tpl.Sign(ctx, k, in, issuer, "", c.Now())
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := jws.Verify(secret)
		if err != nil {
			t.Fatalf("the HS256 token does not verify with the shared secret: %v", err)
		}
		var raw map[string]any
		json.Unmarshal(payload, &raw)
		if raw["iss"] != "supabase" || raw["aud"] != "authenticated" || raw["role"] != "authenticated" || raw["sub"] != "user_1" {
			t.Fatalf("claims = %v", raw)
		}
		// Our verifier never accepts it.
		if _, err := token.Verify(ctx, tok, token.VerifyOptions{Keys: k, Issuer: "supabase", Audience: "authenticated", Now: c.Now}); !errors.Is(err, token.ErrAlgorithm) {
			t.Fatalf("HS256 token through Verify: %v", err)
		}
	})
}
