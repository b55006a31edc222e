package ui

import "time"

// Captcha is a bot-protection widget: the element the provider's script
// turns into a challenge, inside the form it protects.
type Captcha struct {
	ScriptURL string
	Class     string
	SiteKey   string
}

// Impersonation describes an administrator acting as the signed-in user.
type Impersonation struct {
	// Actor is the administrator's email address (or id).
	Actor string
	// User is the impersonated user's email address.
	User string
	// EndsAt is when the impersonation ends by itself.
	EndsAt time.Time
	// EndURL is where the "End impersonation" form posts.
	EndURL string
}

// Waitlist is the page where people join the waitlist.
type Waitlist struct {
	Page
	Email string
	Name  string
	// Joined is set once the form was sent: the page thanks them.
	Joined bool
}

// AdminSignUp is the administrators' page of sign-up restrictions and
// the waitlist.
type AdminSignUp struct {
	Page
	Mode      string
	Allowlist string // one entry a line
	Blocklist string
	// Saved tells whether the settings come from the database (true) or
	// the configuration.
	Saved    bool
	Waitlist []WaitlistView
	// Invite is the address typed in the invitation form.
	Invite string
}

// WaitlistView is one waitlist entry on the admin page.
type WaitlistView struct {
	ID, Email, Name, Status string
	CreatedAt               time.Time
}
