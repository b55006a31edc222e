package ui

import "time"

// SocialButton is one "Continue with ..." button: a form that posts to
// Base+"/oauth/"+ID+"/start".
type SocialButton struct {
	ID   string
	Name string
}

// Connections is the profile's "Connected accounts" section.
type Connections struct {
	// List holds the provider identities the user has connected.
	List []Connection
	// Available are the providers the user can connect.
	Available []SocialButton
	// HasPassword asks for the password before disconnecting.
	HasPassword bool
}

// Connection is one connected provider identity.
type Connection struct {
	ID           string
	ProviderID   string
	ProviderName string
	Email        string
	Name         string
	CreatedAt    time.Time
}
