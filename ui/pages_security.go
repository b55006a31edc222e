package ui

import "time"

// SecurityLog is the account's security log: recent sign-ins, failures,
// factor changes and revocations, newest first.
type SecurityLog struct {
	Page
	Entries []SecurityEntry
	// More is set when older entries exist beyond the ones shown.
	More bool
}

// SecurityEntry is one line of the security log.
type SecurityEntry struct {
	When time.Time
	// Description says what happened, such as "Signed in with a password".
	Description string
	// Device summarises the user agent, such as "Chrome on macOS".
	Device string
	IP     string
	// Warning marks failures and locks.
	Warning bool
}

// VerifyDevice asks for the code sent to confirm a sign-in from a device
// the account has not used before.
type VerifyDevice struct {
	Page
	To          string // masked, such as "a***@example.com" or "+44 ••• ••58"
	TTL         string
	RedirectURL string
}
