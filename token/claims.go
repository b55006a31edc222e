package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"
)

// Claims are the claims of a verified token that embedauth knows; Raw
// holds all of them, for an app's own claims.
type Claims struct {
	// Issuer (iss) is who issued the token: embedauth's BaseURL + Path,
	// such as "https://example.com/auth".
	Issuer string
	// Subject (sub) is the user's id.
	Subject string
	// Audience (aud) lists who the token is for. Session tokens have none.
	Audience []string
	// Expiry (exp), NotBefore (nbf) and IssuedAt (iat); NotBefore and
	// IssuedAt are zero when absent.
	Expiry, NotBefore, IssuedAt time.Time
	// ID (jti) is the token's unique id, when it has one.
	ID string
	// SessionID (sid) is the id of the session the token was minted for.
	// Only session tokens have it.
	SessionID string
	// AuthorizedParty (azp) is the origin of the front end the token was
	// minted for.
	AuthorizedParty string
	// Org is the active organization of the session, nil when none.
	Org *Org
	// ActorID is "act"."sub": the administrator acting as Subject in an
	// impersonation (RFC 8693), empty otherwise.
	ActorID string
	// Raw is the token's payload: every claim, as signed.
	Raw json.RawMessage
}

// Org is a session's active organization as tokens carry it, in the claims
// org_id, org_slug, org_role and org_permissions.
type Org struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// wireClaims is the JSON shape of the claims Verify reads.
type wireClaims struct {
	Issuer          string      `json:"iss"`
	Subject         string      `json:"sub"`
	Audience        audience    `json:"aud"`
	Expiry          numericDate `json:"exp"`
	NotBefore       numericDate `json:"nbf"`
	IssuedAt        numericDate `json:"iat"`
	ID              string      `json:"jti"`
	SessionID       string      `json:"sid"`
	Actor           *Actor      `json:"act"`
	AuthorizedParty string      `json:"azp"`
	OrgID           string      `json:"org_id"`
	OrgSlug         string      `json:"org_slug"`
	OrgRole         string      `json:"org_role"`
	OrgPermissions  []string    `json:"org_permissions"`
}

// audience reads "aud" as a string or an array of strings.
type audience []string

// UnmarshalJSON reads a string or an array of strings.
func (a *audience) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = list
	return nil
}

// numericDate reads a NumericDate (seconds since the epoch); set reports
// whether the claim was present.
type numericDate struct {
	t   time.Time
	set bool
}

// UnmarshalJSON reads seconds since the epoch, refusing null, strings and
// values out of range.
func (n *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return errors.New("a time claim is null")
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("a time claim is not a number")
	}
	// Bound the value so the conversion cannot overflow into the past.
	if math.IsNaN(f) || f < 0 || f > 1<<40 {
		return errors.New("a time claim is out of range")
	}
	sec, frac := math.Modf(f)
	n.t, n.set = time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	return nil
}

func (w *wireClaims) claims(raw []byte) *Claims {
	c := &Claims{Issuer: w.Issuer, Subject: w.Subject, Audience: w.Audience, Expiry: w.Expiry.t,
		NotBefore: w.NotBefore.t, IssuedAt: w.IssuedAt.t, ID: w.ID, SessionID: w.SessionID,
		AuthorizedParty: w.AuthorizedParty, Raw: raw}
	if w.Actor != nil {
		c.ActorID = w.Actor.Subject
	}
	if w.OrgID != "" {
		c.Org = &Org{ID: w.OrgID, Slug: w.OrgSlug, Role: w.OrgRole, Permissions: w.OrgPermissions}
	}
	return c
}
