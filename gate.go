package auth

import (
	"context"

	"github.com/embedauth/auth/config"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/web"
)

// SignUpConfig restricts who may create an account. See
// [config.SignUpConfig].
type SignUpConfig = config.SignUpConfig

// BotProtection puts a Turnstile or hCaptcha challenge on the sign-in and
// sign-up forms. See [config.BotProtection].
type BotProtection = config.BotProtection

// ImpersonationConfig configures administrators acting as users. See
// [config.ImpersonationConfig].
type ImpersonationConfig = config.ImpersonationConfig

// The bot-protection providers of BotProtection.Provider.
const (
	BotProtectionTurnstile = config.BotProtectionTurnstile
	BotProtectionHCaptcha  = config.BotProtectionHCaptcha
)

// SignUpMode says who may create an account. See [core.SignUpMode].
type SignUpMode = core.SignUpMode

// The sign-up modes.
const (
	// SignUpPublic lets anyone sign up (the default).
	SignUpPublic = core.SignUpPublic
	// SignUpRestricted lets only invited addresses, and the allowlist,
	// sign up.
	SignUpRestricted = core.SignUpRestricted
	// SignUpWaitlist is SignUpRestricted with a waitlist others may join.
	SignUpWaitlist = core.SignUpWaitlist
)

// SignUpSettings are the sign-up restrictions administrators edit at run
// time. See [core.SignUpSettings].
type SignUpSettings = core.SignUpSettings

// WaitlistEntry is one person waiting to be let in. See
// [core.WaitlistEntry].
type WaitlistEntry = core.WaitlistEntry

// Impersonation describes a session an administrator opened as a user:
// who acts (ActorID) as whom (UserID), and until when.
type Impersonation = web.Impersonation

// ImpersonationFrom reports whether the request of ctx comes from an
// administrator acting as the signed-in user, and who the administrator
// is. Apps use it to show their own notice or to refuse their own
// sensitive actions:
//
//	if imp, ok := auth.ImpersonationFrom(r.Context()); ok {
//		log.Printf("admin %s acting as %s", imp.ActorID, imp.UserID)
//	}
func ImpersonationFrom(ctx context.Context) (Impersonation, bool) { return web.ImpersonationFrom(ctx) }

// Impersonation is [ImpersonationFrom], as a method for apps that reach
// everything through their Auth.
func (a *Auth) Impersonation(ctx context.Context) (Impersonation, bool) {
	return web.ImpersonationFrom(ctx)
}

// SignUpSettings returns the sign-up restrictions in force: those an
// administrator saved, or else Config.SignUp's.
func (a *Auth) SignUpSettings(ctx context.Context) (SignUpSettings, error) {
	return a.s.SignUpSettings(ctx)
}

// UpdateSignUpSettings saves sign-up restrictions (mode, allowlist,
// blocklist) that override Config.SignUp from now on, for every way of
// signing up. Lists are trimmed, lower-cased and deduplicated; a bad mode
// or entry is a *core.Error of Kind core.ErrInvalidInput.
func (a *Auth) UpdateSignUpSettings(ctx context.Context, s SignUpSettings) (SignUpSettings, error) {
	return a.s.UpdateSignUpSettings(ctx, s)
}

// ResetSignUpSettings drops the saved sign-up restrictions: Config.SignUp
// applies again.
func (a *Auth) ResetSignUpSettings(ctx context.Context) error { return a.s.ResetSignUpSettings(ctx) }

// InviteToSignUp lets email sign up whatever the sign-up mode, for
// Config.SignUp.InvitationTTL, and mails it an invitation with a link to
// the sign-up page.
func (a *Auth) InviteToSignUp(ctx context.Context, email string) error {
	return a.s.InviteToSignUp(ctx, email)
}

// Waitlist returns the waitlist's entries in status ("pending",
// "approved" or "rejected"; every entry when empty), oldest first.
func (a *Auth) Waitlist(ctx context.Context, status string) ([]WaitlistEntry, error) {
	return a.s.Waitlist(ctx, status)
}

// ApproveWaitlistEntry lets a waiting person in: their address is invited
// to sign up and mailed the invitation, in one transaction. An unknown
// entry is a *core.Error of Kind core.ErrNotFound, one decided already of
// Kind core.ErrConflict.
func (a *Auth) ApproveWaitlistEntry(ctx context.Context, id string) (WaitlistEntry, error) {
	return a.s.ApproveWaitlistEntry(ctx, id)
}

// RejectWaitlistEntry turns a waiting person away; nothing is mailed.
func (a *Auth) RejectWaitlistEntry(ctx context.Context, id string) (WaitlistEntry, error) {
	return a.s.RejectWaitlistEntry(ctx, id)
}
