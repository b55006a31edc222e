package token

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// DefaultSessionLifetime is how long a session token lives unless
// configured otherwise.
const DefaultSessionLifetime = 60 * time.Second

// notBeforeSkew backdates "nbf" a little, so that a verifier whose clock is
// slightly behind ours accepts a token minted a moment ago.
const notBeforeSkew = 5 * time.Second

// Session describes a session token: the short-lived JWT that says which
// user and session a request comes from.
type Session struct {
	// Issuer becomes "iss".
	Issuer string
	// UserID becomes "sub" and SessionID "sid".
	UserID, SessionID string
	// AuthorizedParty becomes "azp": the origin of the front end.
	AuthorizedParty string
	// Org, when not nil, becomes org_id, org_slug, org_role and
	// org_permissions.
	Org *Org
	// ActorID, when set, becomes "act": {"sub": ActorID}, the RFC 8693
	// actor claim of a session an administrator opened as the user.
	ActorID string
	// IssuedAt becomes "iat"; "nbf" is 5 s earlier and "exp" is
	// IssuedAt+Lifetime.
	IssuedAt time.Time
	// Lifetime defaults to DefaultSessionLifetime.
	Lifetime time.Duration
}

// Actor is the "act" claim (RFC 8693 section 4.1): who acts on behalf of
// the token's subject.
type Actor struct {
	Subject string `json:"sub"`
}

type sessionPayload struct {
	Actor           *Actor   `json:"act,omitempty"`
	AuthorizedParty string   `json:"azp,omitempty"`
	Expiry          int64    `json:"exp"`
	IssuedAt        int64    `json:"iat"`
	Issuer          string   `json:"iss"`
	NotBefore       int64    `json:"nbf"`
	OrgID           string   `json:"org_id,omitempty"`
	OrgPermissions  []string `json:"org_permissions,omitzero"`
	OrgRole         string   `json:"org_role,omitempty"`
	OrgSlug         string   `json:"org_slug,omitempty"`
	SessionID       string   `json:"sid"`
	Subject         string   `json:"sub"`
}

// SignSession mints a session token with the current signing key and
// returns it with its expiry.
func (k *Keys) SignSession(ctx context.Context, s Session) (string, time.Time, error) {
	if s.Lifetime <= 0 {
		s.Lifetime = DefaultSessionLifetime
	}
	if s.Issuer == "" || s.UserID == "" || s.SessionID == "" {
		return "", time.Time{}, fmt.Errorf("token: session token needs an issuer, a user and a session")
	}
	iat := s.IssuedAt.Truncate(time.Second)
	exp := iat.Add(s.Lifetime)
	p := sessionPayload{AuthorizedParty: s.AuthorizedParty, Expiry: exp.Unix(), IssuedAt: iat.Unix(), Issuer: s.Issuer,
		NotBefore: iat.Add(-notBeforeSkew).Unix(), SessionID: s.SessionID, Subject: s.UserID}
	if s.ActorID != "" {
		p.Actor = &Actor{Subject: s.ActorID}
	}
	if s.Org != nil {
		p.OrgID, p.OrgSlug, p.OrgRole, p.OrgPermissions = s.Org.ID, s.Org.Slug, s.Org.Role, s.Org.Permissions
		if p.OrgPermissions == nil {
			p.OrgPermissions = []string{}
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: session token: %w", err)
	}
	tok, err := k.sign(ctx, b)
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}
