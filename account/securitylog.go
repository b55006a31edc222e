package account

import (
	"context"

	"github.com/embedauth/auth/core"
)

// LogFailure records a refused sign-in step of userID in their security
// log. It never fails: the refusal stands either way, and a write that
// fails is logged.
func (s *Service[M]) LogFailure(ctx context.Context, userID, method, detail string) {
	e := core.SecurityEvent{UserID: userID, Kind: core.SecuritySignInFailed, Method: method, Detail: detail}
	if err := s.store.LogSecurity(ctx, e); err != nil {
		s.cfg.Logger.Error("embedauth: security log", "err", err)
	}
}

// LogLocked records a sign-in refused because the account's factor is
// locked, once per lockout period however many guesses arrive.
func (s *Service[M]) LogLocked(ctx context.Context, userID, method string) {
	e := core.SecurityEvent{UserID: userID, Kind: core.SecuritySignInLocked, Method: method}
	if err := s.store.LogSecurityOnce(ctx, e, s.cfg.LockoutDuration); err != nil {
		s.cfg.Logger.Error("embedauth: security log", "err", err)
	}
}

// SecurityLog returns up to limit of the newest entries of the user's log
// before the entry id before (0 for the newest), and whether older ones
// exist.
func (s *Service[M]) SecurityLog(ctx context.Context, userID string, before int64, limit int) ([]core.SecurityEvent, bool, error) {
	list, err := s.store.SecurityLog(ctx, userID, before, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	return list, false, nil
}

// PruneSecurityLog deletes entries older than SecurityLogRetention and
// devices unseen for DeviceLifetime.
func (s *Service[M]) PruneSecurityLog(ctx context.Context) error {
	now := s.cfg.Now()
	return s.store.PruneSecurityLog(ctx, now.Add(-s.cfg.SecurityLogRetention), now.Add(-s.cfg.DeviceLifetime))
}
