package auth

// PasswordHashesForTest reports how many argon2id computations a has run
// so far, so black-box tests can check that two answers cost the same work.
func (a *Auth) PasswordHashesForTest() int64 { return a.hasher.Count() }
