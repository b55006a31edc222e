package store

// SetUserPlanLimits lowers the sizes at which ListUsers changes its way of
// reading a page, so that a small table takes every way.
func SetUserPlanLimits(db *DB, drive, keyed, walk int) {
	db.planLimits = &userPlanLimits{drive, keyed, walk}
}
