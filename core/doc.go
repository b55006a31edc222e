// Package core holds embedauth's domain vocabulary: the records every other
// package speaks about ([User], [Session], [Event]) and the sentinel errors
// they return. It imports only the standard library, so storage, feature
// packages and the HTTP layer can all depend on it without depending on each
// other.
package core
