package core

import (
	"encoding/json"
	"time"
)

// User is an account. Its ID is random and opaque; it never encodes the email.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	Banned        bool      `json:"banned"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// HasPassword reports whether the user can sign in with a password.
	HasPassword bool `json:"has_password"`
	// TwoFactorEnabled reports whether the user has set up two-step
	// verification (an authenticator app), so that every sign-in asks for
	// a second factor.
	TwoFactorEnabled bool `json:"two_factor_enabled"`
	// PublicMetadata is readable by the user and by the app's front end,
	// writable only by the app's back end.
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// PrivateMetadata is visible only to the app's back end.
	PrivateMetadata json.RawMessage `json:"-"`
	// UnsafeMetadata is readable and writable by the user.
	UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
	// ImageVersion is when the user's profile picture was last set (Unix
	// milliseconds), 0 when they have none. The HTTP layer makes the
	// picture's URL from it (the JSON API's image_url).
	ImageVersion int64 `json:"-"`
	// Language is the language the user chose for pages and mail (a BCP
	// 47 tag such as "de" or "pt-BR"), "" when they chose none: pages
	// follow the browser's Accept-Language, mail the language of the
	// request that caused it.
	Language string `json:"language"`
}

// Initials returns up to two letters for an avatar: the first letters of
// the first two words of the name, or the first letter of the email.
func (u User) Initials() string {
	var out []rune
	inWord := false
	for _, r := range u.Name {
		if r == ' ' || r == '\t' {
			inWord = false
			continue
		}
		if !inWord {
			out = append(out, r)
			inWord = true
			if len(out) == 2 {
				break
			}
		}
	}
	if len(out) == 0 {
		for _, r := range u.Email {
			out = append(out, r)
			break
		}
	}
	return string(out)
}

// DisplayName returns the name, or the email when the user has no name.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// CreateUserParams describes a user created by the app's back end.
type CreateUserParams struct {
	Email string
	Name  string
	// Password is optional; when set it must pass the password policy.
	Password string
	// EmailVerified marks the address as proven (for example, the app
	// imported it from a system that verified it).
	EmailVerified   bool
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage
}

// UserMetadata replaces the metadata objects that are not nil.
type UserMetadata struct {
	Public  json.RawMessage
	Private json.RawMessage
	Unsafe  json.RawMessage
}
