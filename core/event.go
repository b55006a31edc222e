package core

import (
	"encoding/json"
	"time"
)

// Event types written to the events outbox in the same transaction as the
// change they describe.
const (
	EventUserCreated    = "user.created"
	EventUserUpdated    = "user.updated"
	EventUserDeleted    = "user.deleted"
	EventSessionCreated = "session.created"
	EventSessionEnded   = "session.ended"
	// EventEmailCreated and EventSMSCreated are written when a message is
	// queued; their data names the message (id, recipient, template), never
	// its body, which may carry a code.
	EventEmailCreated = "email.created"
	EventSMSCreated   = "sms.created"
)

// Event is one row of the events outbox.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}
