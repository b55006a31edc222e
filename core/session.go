package core

import "time"

// Session is one signed-in device: what a user lists and revokes.
type Session struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// AuthMethod is how the session was established: "password",
	// "email_code", "reset" and so on; a sign-up with a password is "password".
	AuthMethod   string    `json:"auth_method"`
	UserAgent    string    `json:"user_agent"`
	IP           string    `json:"ip"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	// ExpiresAt is the absolute end of the session, whatever its activity.
	ExpiresAt time.Time `json:"expires_at"`
	// EndedAt is set once the session was signed out or revoked.
	EndedAt *time.Time `json:"ended_at,omitempty"`
	// ActorID is set on a session an administrator opened as this user
	// (impersonation): the administrator's user id.
	ActorID string `json:"actor_id,omitempty"`
	// ActorSessionID is the administrator's own session, to which the
	// browser returns when the impersonation ends.
	ActorSessionID string `json:"-"`
}

// Active reports whether the session may still be used at now, given the
// idle timeout.
func (s Session) Active(now time.Time, idle time.Duration) bool {
	if s.EndedAt != nil || !now.Before(s.ExpiresAt) {
		return false
	}
	return idle <= 0 || now.Sub(s.LastActiveAt) < idle
}
