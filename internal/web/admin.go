package web

import (
	"context"
	"fmt"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// CreateUser creates a user from the app's back end, bypassing sign-up
// (no verification mail). A taken email is an error wrapping
// core.ErrConflict.
func (a *Server) CreateUser(ctx context.Context, p CreateUserParams) (User, error) {
	email, err := core.CleanEmail(p.Email)
	if err != nil {
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	name, err := core.CleanName(p.Name)
	if err != nil {
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	var hash string
	if p.Password != "" {
		if err := a.account.CheckPolicy(p.Password, "password", email, name); err != nil {
			return User{}, fmt.Errorf("auth: create user: %w", err)
		}
		if hash, err = a.hasher.Hash(ctx, p.Password); err != nil {
			return User{}, fmt.Errorf("auth: create user: %w", err)
		}
	}
	u, err := a.db.CreateUser(ctx, store.NewUser{Email: email, Name: name, EmailVerified: p.EmailVerified, PasswordHash: hash,
		PublicMetadata: p.PublicMetadata, PrivateMetadata: p.PrivateMetadata, UnsafeMetadata: p.UnsafeMetadata})
	if err != nil {
		return User{}, fmt.Errorf("auth: %w", err)
	}
	return u, nil
}

// GetUser returns a user by id; an unknown id is an error wrapping
// core.ErrNotFound.
func (a *Server) GetUser(ctx context.Context, id string) (User, error) { return a.db.User(ctx, id) }

// GetUserByEmail returns a user by email in any case or Unicode form.
func (a *Server) GetUserByEmail(ctx context.Context, email string) (User, error) {
	return a.db.UserByEmail(ctx, email)
}

// BanUser disables a user: every session ends at once and sign-in is
// refused until [Auth.UnbanUser].
func (a *Server) BanUser(ctx context.Context, id string) (User, error) {
	u, err := a.db.SetBanned(ctx, id, true)
	a.cache.forgetUser(id)
	return u, err
}

// UnbanUser lets a banned user sign in again.
func (a *Server) UnbanUser(ctx context.Context, id string) (User, error) {
	u, err := a.db.SetBanned(ctx, id, false)
	a.cache.forgetUser(id)
	return u, err
}

// DeleteUser deletes a user and everything of theirs, ending their
// sessions.
func (a *Server) DeleteUser(ctx context.Context, id string) error {
	err := a.db.DeleteUser(ctx, id, nil)
	a.cache.forgetUser(id)
	return err
}

// UpdateUserMetadata sets a user's metadata from the app's back end.
func (a *Server) UpdateUserMetadata(ctx context.Context, id string, m UserMetadata) (User, error) {
	u, err := a.db.UpdateUser(ctx, id, store.UserUpdate{PublicMetadata: m.Public, PrivateMetadata: m.Private, UnsafeMetadata: m.Unsafe})
	a.cache.forgetUser(id)
	return u, err
}

// ListSessions returns a user's live sessions, most recently active first.
func (a *Server) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	return a.db.ListSessions(ctx, userID)
}

// RevokeSession ends one session; the next request with its cookie is
// signed out.
func (a *Server) RevokeSession(ctx context.Context, sessionID string) error {
	err := a.db.EndSession(ctx, sessionID, "revoked")
	a.cache.forgetSessions(sessionID)
	return err
}
