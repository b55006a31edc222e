package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// Social sign-in: users' identities at OAuth 2.0 and OpenID Connect
// providers, and the rules that decide when such an identity may sign in
// to, create, or join an account.

// ErrAccountExists means a provider identity's verified email belongs to
// an account it may not join by itself (automatic linking is off). The
// account's owner signs in to it first and connects the provider from
// there.
var ErrAccountExists = errors.New("store: an account with this email exists")

// ExternalProfile is what a provider said about a user at sign-in.
type ExternalProfile struct {
	Provider      string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	AvatarURL     string
	// Tokens are the provider's tokens, sealed by the caller; nil keeps
	// none (and leaves stored ones alone).
	Tokens *ExternalTokens
}

// ExternalTokens are a provider's tokens for a user, sealed with the
// encryption key by the caller. Expiry is zero when unknown.
type ExternalTokens struct {
	Access  []byte
	Refresh []byte
	Expiry  time.Time
}

// ExternalSignIn asks [DB.SignInExternal] to sign in with a profile.
type ExternalSignIn struct {
	Profile ExternalProfile
	// AutoLink lets an identity whose provider-verified email is a
	// verified address of an account join that account.
	AutoLink bool
	// AllowSignUp creates a user when no account matches.
	AllowSignUp bool
	// LinkMail, when set, is queued if the identity joins an existing
	// account (to that account's address, the profile's email).
	LinkMail *OutMail
}

// ExternalOutcome is what a social sign-in did.
type ExternalOutcome struct {
	User    core.User
	Account core.ExternalAccount
	// SignedUp: a user was created. Linked: the identity joined an
	// existing account. Claimed: that account's email had never been
	// verified, and its password and sessions were removed.
	SignedUp, Linked, Claimed bool
}

// userAccountsEvent is the data of user.created and user.updated events
// of social sign-in: the user and every provider identity they have.
type userAccountsEvent struct {
	core.User
	ExternalAccounts []core.ExternalAccount `json:"external_accounts"`
}

const externalColumns = `id, user_id, provider, subject, email, email_verified, name, avatar_url, created_at, updated_at`

func scanExternal(s scanner, extra ...any) (core.ExternalAccount, error) {
	var x core.ExternalAccount
	var created, updated int64
	err := s.Scan(append([]any{&x.ID, &x.UserID, &x.Provider, &x.Subject, &x.Email, &x.EmailVerified, &x.Name, &x.AvatarURL,
		&created, &updated}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return x, core.ErrNotFound
	}
	x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
	return x, err
}

func queryExternal(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, userID string) ([]core.ExternalAccount, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+externalColumns+` FROM auth_external_accounts WHERE user_id = $1
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.ExternalAccount{}
	for rows.Next() {
		x, err := scanExternal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ExternalAccounts returns the user's provider identities, oldest first.
func (db *DB) ExternalAccounts(ctx context.Context, userID string) ([]core.ExternalAccount, error) {
	out, err := queryExternal(ctx, db.db, userID)
	if err != nil {
		return nil, fmt.Errorf("store: external accounts: %w", err)
	}
	return out, nil
}

// userAccountsEvent writes typ for u with their provider identities.
func (db *DB) userAccountsEvent(ctx context.Context, tx *txn, typ string, u core.User) error {
	list, err := queryExternal(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	return db.insertEvent(ctx, tx, typ, userAccountsEvent{User: u, ExternalAccounts: list})
}

func tokenArgs(t *ExternalTokens) (access, refresh, expiry any) {
	if t == nil {
		return nil, nil, nil
	}
	if !t.Expiry.IsZero() {
		expiry = ms(t.Expiry)
	}
	return blobOrNull(t.Access), blobOrNull(t.Refresh), expiry
}

func blobOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// insertExternal links p to userID.
func (db *DB) insertExternal(ctx context.Context, tx *txn, userID string, p ExternalProfile) (core.ExternalAccount, error) {
	now := db.Now()
	x := core.ExternalAccount{ID: core.NewID("ext"), UserID: userID, Provider: p.Provider, Subject: p.Subject, Email: p.Email,
		EmailVerified: p.EmailVerified, Name: p.Name, AvatarURL: p.AvatarURL,
		CreatedAt: now.UTC().Truncate(time.Millisecond), UpdatedAt: now.UTC().Truncate(time.Millisecond)}
	access, refresh, expiry := tokenArgs(p.Tokens)
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_external_accounts (id, user_id, provider, subject, email, email_verified,
		name, avatar_url, access_token, refresh_token, token_expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
		x.ID, userID, p.Provider, p.Subject, p.Email, p.EmailVerified, p.Name, p.AvatarURL, access, refresh, expiry, ms(now))
	if isUnique(err) {
		return x, core.ErrConflict
	}
	return x, err
}

// refreshExternal stores what the provider said at this sign-in.
func (db *DB) refreshExternal(ctx context.Context, tx *txn, x core.ExternalAccount, p ExternalProfile) (core.ExternalAccount, error) {
	now := db.Now()
	if p.Tokens != nil {
		access, refresh, expiry := tokenArgs(p.Tokens)
		if _, err := tx.ExecContext(ctx, `UPDATE auth_external_accounts SET access_token = $2,
			refresh_token = COALESCE($3, refresh_token), token_expires_at = $4 WHERE id = $1`, x.ID, access, refresh, expiry); err != nil {
			return x, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE auth_external_accounts SET email = $2, email_verified = $3, name = $4,
		avatar_url = $5, updated_at = $6 WHERE id = $1`, x.ID, p.Email, p.EmailVerified, p.Name, p.AvatarURL, ms(now)); err != nil {
		return x, err
	}
	x.Email, x.EmailVerified, x.Name, x.AvatarURL = p.Email, p.EmailVerified, p.Name, p.AvatarURL
	x.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	return x, nil
}

func (db *DB) userTx(ctx context.Context, tx *txn, id string) (core.User, error) {
	return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, id))
}

// SignInExternal decides, in one transaction, what a provider identity
// signs in to:
//   - an identity already linked signs in to its user (a banned user is
//     [core.ErrBanned]); the stored profile and tokens are refreshed;
//   - an identity whose provider-verified email is an address of an
//     account joins that account when in.AutoLink is set; otherwise
//     nothing changes and the answer is [ErrAccountExists]. An email the
//     provider did not verify is never matched against accounts (the
//     identity is treated as new). An account whose address was never verified
//     (someone may have set it up to wait for its owner) is claimed like
//     a passwordless sign-in claims it: the address becomes verified and
//     the account's password and sessions are removed;
//   - any other identity creates a user when in.AllowSignUp (else
//     [core.ErrNotFound]): with the email as a verified address when the
//     provider verified it, without an email otherwise. Pending password
//     sign-ups for that email can never complete afterwards.
//
// Creating a user writes user.created, and joining an account
// user.updated, each carrying the user's provider identities.
func (db *DB) SignInExternal(ctx context.Context, in ExternalSignIn) (ExternalOutcome, error) {
	var out ExternalOutcome
	p := in.Profile
	if p.Provider == "" || p.Subject == "" {
		return out, fmt.Errorf("store: sign in external: %w", core.ErrInvalidInput)
	}
	err := db.tx(ctx, func(tx *txn) error {
		x, err := scanExternal(tx.QueryRowContext(ctx, `SELECT `+externalColumns+` FROM auth_external_accounts
			WHERE provider = $1 AND subject = $2`, p.Provider, p.Subject))
		switch {
		case err == nil:
			u, err := db.userTx(ctx, tx, x.UserID)
			if err != nil {
				return err
			}
			if u.Banned {
				return core.ErrBanned
			}
			if x, err = db.refreshExternal(ctx, tx, x, p); err != nil {
				return err
			}
			out = ExternalOutcome{User: u, Account: x}
			return nil
		case !errors.Is(err, core.ErrNotFound):
			return err
		}
		key := EmailKey(p.Email)
		var own owner
		// Only an email the provider verified is looked up: an unverified
		// one never joins an account, and its answer must not tell whether
		// an account has it.
		if p.Email != "" && p.EmailVerified {
			err := tx.QueryRowContext(ctx, `SELECT user_id, verified_at FROM auth_identifiers WHERE kind = 'email' AND value_key = $1`,
				key).Scan(&own.userID, &own.verified)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if own.userID != "" {
			if !in.AutoLink {
				return ErrAccountExists
			}
			u, err := db.userTx(ctx, tx, own.userID)
			if err != nil {
				return err
			}
			if u.Banned {
				return core.ErrBanned
			}
			if !own.verified.Valid {
				if u, err = db.claimUnverified(ctx, tx, u, core.Challenge{Channel: core.IdentifierEmail, AddressKey: key}); err != nil {
					return err
				}
				out.Claimed = true
			}
			if out.Account, err = db.insertExternal(ctx, tx, u.ID, p); err != nil {
				return err
			}
			out.User, out.Linked = u, true
			if err := db.enqueueMail(ctx, tx, in.LinkMail); err != nil {
				return err
			}
			return db.userAccountsEvent(ctx, tx, core.EventUserUpdated, u)
		}
		if !in.AllowSignUp {
			return core.ErrNotFound
		}
		nu, emailKey := NewUser{Name: p.Name}, "ext:"+p.Provider+":"+p.Subject
		if p.EmailVerified && p.Email != "" {
			nu.Email, nu.EmailVerified, emailKey = p.Email, true, key
		}
		u, err := db.insertUser(ctx, tx, nu, emailKey)
		if err != nil {
			return err
		}
		if nu.Email != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_signups WHERE email_key = $1`, key); err != nil {
				return err
			}
		}
		if out.Account, err = db.insertExternal(ctx, tx, u.ID, p); err != nil {
			return err
		}
		out.User, out.SignedUp = u, true
		return db.userAccountsEvent(ctx, tx, core.EventUserCreated, u)
	})
	if err != nil {
		return ExternalOutcome{}, fmt.Errorf("store: sign in external: %w", err)
	}
	return out, nil
}

// LinkExternal connects a provider identity to a signed-in user, with
// user.updated, and queues mail (may be nil). An identity linked to
// another user is [core.ErrConflict]; one already linked to this user is
// refreshed and returned without an event or mail.
func (db *DB) LinkExternal(ctx context.Context, userID string, p ExternalProfile, mail *OutMail) (core.ExternalAccount, error) {
	var x core.ExternalAccount
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		x, err = scanExternal(tx.QueryRowContext(ctx, `SELECT `+externalColumns+` FROM auth_external_accounts
			WHERE provider = $1 AND subject = $2`, p.Provider, p.Subject))
		switch {
		case err == nil && x.UserID != userID:
			return core.ErrConflict
		case err == nil:
			x, err = db.refreshExternal(ctx, tx, x, p)
			return err
		case !errors.Is(err, core.ErrNotFound):
			return err
		}
		u, err := db.userTx(ctx, tx, userID)
		if err != nil {
			return err
		}
		if x, err = db.insertExternal(ctx, tx, userID, p); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.userAccountsEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.ExternalAccount{}, fmt.Errorf("store: link external: %w", err)
	}
	return x, nil
}

// UnlinkExternal disconnects the user's provider identity id, with
// user.updated, and queues mail (may be nil). With keepOne, removing the user's last way to sign in
// (no password, no passkey, no other identity) is
// [core.ErrLastSignInMethod]; an identity of another user is
// [core.ErrNotFound].
func (db *DB) UnlinkExternal(ctx context.Context, userID, id string, keepOne bool, mail *OutMail) (core.ExternalAccount, error) {
	var x core.ExternalAccount
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		x, err = scanExternal(tx.QueryRowContext(ctx, `SELECT `+externalColumns+` FROM auth_external_accounts
			WHERE id = $1 AND user_id = $2`, id, userID))
		if err != nil {
			return err
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM auth_external_accounts WHERE user_id = $1 AND id <> $2) +
			(SELECT COUNT(*) FROM auth_passkeys WHERE user_id = $1) +
			(SELECT COUNT(*) FROM auth_passwords WHERE user_id = $1)`, userID, id).Scan(&others); err != nil {
			return err
		}
		if keepOne && others == 0 {
			return core.ErrLastSignInMethod
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_external_accounts WHERE id = $1`, id); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		u, err := db.userTx(ctx, tx, userID)
		if err != nil {
			return err
		}
		return db.userAccountsEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.ExternalAccount{}, fmt.Errorf("store: unlink external: %w", err)
	}
	return x, nil
}

// ExternalTokensFor returns the most recently used identity of the user
// at provider and its sealed tokens (Access nil when none are kept), or
// [core.ErrNotFound].
func (db *DB) ExternalTokensFor(ctx context.Context, userID, provider string) (core.ExternalAccount, ExternalTokens, error) {
	var t ExternalTokens
	var expiry sql.NullInt64
	x, err := scanExternal(db.db.QueryRowContext(ctx, `SELECT `+externalColumns+`, access_token, refresh_token, token_expires_at
		FROM auth_external_accounts WHERE user_id = $1 AND provider = $2 ORDER BY updated_at DESC, id LIMIT 1`, userID, provider),
		&t.Access, &t.Refresh, &expiry)
	if err != nil {
		return x, t, fmt.Errorf("store: external tokens: %w", err)
	}
	if expiry.Valid {
		t.Expiry = fromMS(expiry.Int64)
	}
	return x, t, nil
}

// SetExternalTokens replaces the sealed tokens of identity id (after a
// refresh). A nil Refresh keeps the stored refresh token.
func (db *DB) SetExternalTokens(ctx context.Context, id string, t ExternalTokens) error {
	access, refresh, expiry := tokenArgs(&t)
	res, err := db.db.ExecContext(ctx, `UPDATE auth_external_accounts SET access_token = $2,
		refresh_token = COALESCE($3, refresh_token), token_expires_at = $4 WHERE id = $1`, id, access, refresh, expiry)
	if err != nil {
		return fmt.Errorf("store: set external tokens: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: set external tokens: %w", core.ErrNotFound)
	}
	return nil
}
