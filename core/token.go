package core

import (
	"encoding/json"
	"time"
)

// PurposeReset is the purpose of a password reset [Token].
const PurposeReset = "reset"

// Token is a single-use, expiring token sent by mail (a password reset
// link), stored only as its hash.
type Token struct {
	Hash      string
	Purpose   string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// UserUpdate lists the fields to change; nil fields stay as they are.
type UserUpdate struct {
	Name            *string
	EmailVerified   *bool
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage
	// Language sets the user's preferred language (a BCP 47 tag, "" for
	// none: the browser's language is used).
	Language *string
}
