package auth

import "context"

// HousekeepSecurityForTest runs the security part of the hourly
// housekeeping now.
func (a *Auth) HousekeepSecurityForTest(ctx context.Context) { a.housekeepSecurity(ctx) }
