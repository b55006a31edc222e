package core

import "time"

// WebhookEndpoint is a receiver of webhooks, as the API shows it. Its
// secret is read with auth.Auth.WebhookSecret.
type WebhookEndpoint struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes are the event types it receives; empty means all.
	EventTypes []string `json:"event_types"`
	Enabled    bool     `json:"enabled"`
	// DisabledReason is "gone" (the receiver answered 410), "failing"
	// (5 days without a successful delivery) or "manual".
	DisabledReason string `json:"disabled_reason,omitempty"`
	// FailingSince is when its current run of failed deliveries began.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	// SecretRotatedUntil is set while a rotated-out secret still signs.
	SecretRotatedUntil *time.Time `json:"secret_rotated_until,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// WebhookEndpointParams describe a new endpoint.
type WebhookEndpointParams struct {
	// URL receives POSTs: https, on a public address unless
	// Webhooks.AllowedNetworks allows it.
	URL         string
	Description string
	// EventTypes are the types to receive (see webhook.EventTypes); empty
	// means all.
	EventTypes []string
}

// WebhookEndpointUpdate lists the fields to change; nil ones stay.
type WebhookEndpointUpdate struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	// Enabled true re-enables a disabled endpoint (clearing its failure
	// streak); false disables it with the reason "manual".
	Enabled *bool
}

// WebhookAttempt is one delivery attempt in the log.
type WebhookAttempt struct {
	Number     int       `json:"number"`
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	// StatusCode is the receiver's answer, 0 when there was none.
	StatusCode int `json:"status_code"`
	// Response is the start of the answer's body (4 KB at most).
	Response string `json:"response"`
	Error    string `json:"error"`
}

// WebhookDelivery is one event's delivery to one endpoint, with its
// attempts.
type WebhookDelivery struct {
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	// Status is "pending", "delivered" or "failed" (the retry schedule was
	// spent; replay it to try again).
	Status        string           `json:"status"`
	Attempts      []WebhookAttempt `json:"attempts"`
	NextAttemptAt *time.Time       `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	DeliveredAt   *time.Time       `json:"delivered_at,omitempty"`
}

// WebhookEndpointRecord is an endpoint as storage holds it: the fields
// the API shows, and the signing secrets, sealed (encrypted) by the caller
// before they are stored.
type WebhookEndpointRecord struct {
	ID          string
	URL         string
	Description string
	// EventTypes are the types it receives; empty means all.
	EventTypes []string
	Enabled    bool
	// DisabledReason says why deliveries stopped: "gone" (the receiver
	// answered 410), "failing" (days of failures) or "manual".
	DisabledReason string
	Secret         []byte
	// PreviousSecret signs beside Secret until PreviousExpiresAt.
	PreviousSecret    []byte
	PreviousExpiresAt *time.Time
	// FailingSince is when its current run of failed attempts began.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WebhookDeliveryRecord is one message to an endpoint as storage holds it,
// with its attempts, oldest first, for the delivery log.
type WebhookDeliveryRecord struct {
	ID         int64
	EndpointID string
	EventID    string
	EventType  string
	// Status is "pending", "delivered" or "failed".
	Status   string
	Attempts int
	// NextAttemptAt is set while the message is pending.
	NextAttemptAt *time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	Log           []WebhookAttempt
}
