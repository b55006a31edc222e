package webhook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// eventTypes are the event types the outbox carries, which endpoints may
// subscribe to. A new kind of event written to the outbox is added here
// (and documented in doc.go), so that endpoints can name it.
var eventTypes = []string{
	"user.created", "user.updated", "user.deleted",
	"session.created", "session.ended",
	"email.created", "sms.created",
	"organization.created", "organization.updated", "organization.deleted",
	"organization.membership.created", "organization.membership.updated", "organization.membership.deleted",
	"organization.invitation.created", "organization.invitation.accepted", "organization.invitation.revoked",
	"passkey.created", "passkey.deleted", "passkey.clone_suspected",
}

// EventTypes returns every event type an endpoint may subscribe to, sorted.
func EventTypes() []string { return slices.Sorted(slices.Values(eventTypes)) }

// CheckEventTypes returns the list cleaned (sorted, without duplicates),
// or an error naming every unknown type. An empty list subscribes to
// every event.
func CheckEventTypes(types []string) ([]string, error) {
	var unknown []string
	out := make([]string, 0, len(types))
	for _, t := range types {
		if !slices.Contains(eventTypes, t) {
			unknown = append(unknown, fmt.Sprintf("%q", t))
			continue
		}
		out = append(out, t)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("webhook: unknown event type %s (known: %s)", strings.Join(unknown, ", "), strings.Join(EventTypes(), ", "))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Payload is the JSON body of every delivery, like Clerk's: the event's
// type, the time it happened (Unix milliseconds) and its data. The body
// of a message is the same bytes on every attempt.
type Payload struct {
	Type      string          `json:"type"`
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Body returns the payload of an event as sent.
func Body(typ string, at time.Time, data json.RawMessage) ([]byte, error) {
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(Payload{Type: typ, Timestamp: at.UnixMilli(), Data: data})
}
