package core

import "time"

// ExternalAccount is a user's identity at an OAuth 2.0 or OpenID Connect
// provider ("Sign in with Google"): the provider's ID from the app's
// configuration and the user's stable subject there, unique together.
// The provider's tokens, when kept, are stored sealed and never appear
// here.
type ExternalAccount struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	// Email is the address the provider gave at the last sign-in, and
	// EmailVerified whether the provider vouched for it.
	Email         string    `json:"email,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name,omitempty"`
	AvatarURL     string    `json:"avatar_url,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}
