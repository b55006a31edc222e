package ui

import "time"

// PasskeyList is the profile's passkey section.
type PasskeyList struct {
	List []PasskeyView
	// Required is set in the mode where every user should have a passkey.
	Required bool
	// HasPassword says whether removing a passkey asks for the password
	// (else for another passkey).
	HasPassword bool
}

// Reauth reports whether sensitive changes are confirmed with a passkey:
// the user has passkeys and no password. It is false for a nil list.
func (l *PasskeyList) Reauth() bool { return l != nil && !l.HasPassword && len(l.List) > 0 }

// PasskeyView is one passkey as the profile shows it.
type PasskeyView struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	// Synced is the passkey's backup state: it is copied to the user's
	// other devices by their password manager.
	Synced bool
}

// Steps of the passkey sign-up page.
const (
	PasskeyStepEmail  = "email"
	PasskeyStepCode   = "code"
	PasskeyStepCreate = "create"
)

// PasskeySignUp is the passkey-only sign-up: the email, then the code
// mailed to it, then creating the passkey.
type PasskeySignUp struct {
	Page
	// Step is PasskeyStepEmail, PasskeyStepCode or PasskeyStepCreate.
	Step        string
	Email       string // what was typed (email step)
	Name        string
	MaskedEmail string // code and create steps, such as "a***@example.com"
	TTL         string
	RedirectURL string
	// Next is where the browser goes once signed in.
	Next string
}

// PasskeySetup asks a signed-in user to add a passkey.
type PasskeySetup struct {
	Page
	// Next is where the browser goes afterwards, or when the user skips.
	Next     string
	Required bool
}
