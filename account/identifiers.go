package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/embedauth/auth/core"
)

// Refusals of changes to a user's addresses.
var (
	ErrIdentifierNotFound   = core.Refuse(core.ErrNotFound, "identifier_not_found", "That address is not on your account.")
	ErrLastIdentifier       = core.Refuse(core.ErrConflict, "last_identifier", "You can't remove your primary email address or your only way to sign in. Make another address primary first.")
	ErrIdentifierUnverified = core.Refuse(core.ErrConflict, "identifier_unverified", "Verify this address before making it primary.")
	ErrIdentifierTaken      = core.ErrIdentifierTaken
)

// Identifier returns the user's address with this id.
func (s *Service[M]) Identifier(ctx context.Context, userID, id string) (core.Identifier, error) {
	list, err := s.store.Identifiers(ctx, userID)
	if err != nil {
		return core.Identifier{}, err
	}
	for _, x := range list {
		if x.ID == id {
			return x, nil
		}
	}
	return core.Identifier{}, ErrIdentifierNotFound
}

// SetPrimary makes one of the user's verified email addresses primary;
// notice tells the previous primary address.
func (s *Service[M]) SetPrimary(ctx context.Context, userID, id string, notice M) (core.User, error) {
	u, err := s.store.SetPrimaryIdentifier(ctx, userID, id, notice)
	return u, identifierError(err)
}

// RemoveIdentifier removes one of the user's addresses; notice tells the
// primary address. The primary email and the last address to sign in with
// cannot be removed.
func (s *Service[M]) RemoveIdentifier(ctx context.Context, userID, id string, notice M) (core.User, error) {
	u, err := s.store.RemoveIdentifier(ctx, userID, id, notice)
	return u, identifierError(err)
}

// identifierError names the storage's refusals of an address change.
func identifierError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, core.ErrNotFound):
		return ErrIdentifierNotFound.With(err)
	case errors.Is(err, core.ErrLastIdentifier):
		return ErrLastIdentifier.With(err)
	case errors.Is(err, core.ErrInvalidInput):
		return ErrIdentifierUnverified.With(err)
	case errors.Is(err, core.ErrConflict):
		return ErrIdentifierTaken.With(err)
	}
	return err
}

// PrimaryPhone returns the user's verified primary phone number, where
// an account without an email gets its messages; [core.ErrNotFound] when
// it has none.
func (s *Service[M]) PrimaryPhone(ctx context.Context, userID string) (string, error) {
	list, err := s.store.Identifiers(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, x := range list {
		if x.Kind == core.IdentifierPhone && x.Primary && x.Verified {
			return x.Value, nil
		}
	}
	return "", fmt.Errorf("account: user %s has no email and no phone: %w", userID, core.ErrNotFound)
}
